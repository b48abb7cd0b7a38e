package geom

import "testing"

func TestAspectRect(t *testing.T) {
	for _, c := range []struct {
		s    Size
		w, h int
		want Rect
	}{
		{Size{2160, 3840}, 9, 16, Rect{0, 0, 2160, 3840}},
		{Size{1920, 1080}, 9, 16, Rect{656, 0, 608, 1080}}, // 607.5 to the nearest even, not down to 606
		{Size{16, 16}, 16, 9, Rect{0, 2, 16, 10}},          // 9 to even: one step either way
		{Size{17, 17}, 4, 5, Rect{2, 0, 12, 16}},
		{Size{1920, 1080}, 1, 1, Rect{420, 0, 1080, 1080}},
		{Size{1080, 1920}, 16, 9, Rect{0, 656, 1080, 608}},
		{Size{333, 500}, 1, 1, Rect{0, 84, 332, 332}},
	} {
		if got := AspectRect(c.s, c.w, c.h); got != c.want {
			t.Errorf("AspectRect(%v, %d:%d) = %v, want %v", c.s, c.w, c.h, got, c.want)
		}
	}
}

func TestShortSideNeverUpscales(t *testing.T) {
	for _, c := range []struct {
		s     Size
		short int
		want  Size
	}{
		{Size{2160, 3840}, 720, Size{720, 1280}},
		{Size{320, 568}, 720, Size{320, 568}},
		{Size{1920, 1080}, 720, Size{1280, 720}},
		{Size{427, 241}, 720, Size{426, 240}},
	} {
		if got := ShortSide(c.s, c.short); got != c.want {
			t.Errorf("ShortSide(%v, %d) = %v, want %v", c.s, c.short, got, c.want)
		}
	}
}

func TestShapes(t *testing.T) {
	for _, c := range []struct {
		bound   Size
		w, h    int
		unit    int
		want    Size
		already bool // AspectRectUnit's region has the shape already
	}{
		{Size{16, 16}, 16, 9, 1, Size{16, 9}, true},
		{Size{16, 16}, 9, 16, 1, Size{9, 16}, true},
		{Size{16, 16}, 4, 5, 1, Size{13, 16}, true},  // 12.8 rounded: 1.6 % off
		{Size{16, 16}, 16, 9, 2, Size{14, 8}, false}, // 16x10 and 16x8 are 10 % off
		{Size{16, 16}, 4, 5, 2, Size{8, 10}, false},
		{Size{17, 17}, 16, 9, 1, Size{16, 9}, false},
		{Size{1920, 1080}, 9, 16, 2, Size{608, 1080}, true},
		{Size{1280, 720}, 4, 5, 2, Size{576, 720}, true},
		{Size{721, 1281}, 16, 9, 2, Size{720, 406}, true},
		{Size{1281, 721}, 9, 16, 1, Size{405, 720}, true}, // AspectRectUnit's 406x721 is as good
	} {
		got, ok := Shaped(c.bound, c.w, c.h, c.unit)
		if !ok || got != c.want {
			t.Errorf("Shaped(%v, %d:%d, unit %d) = %v, %v; want %v", c.bound, c.w, c.h, c.unit, got, ok, c.want)
		}
		r := AspectRectUnit(c.bound, c.w, c.h, c.unit)
		if has := HasShape(Size{W: r.W, H: r.H}, c.w, c.h, c.unit); has != c.already {
			t.Errorf("AspectRectUnit(%v, %d:%d, unit %d) = %v: shape %v, want %v", c.bound, c.w, c.h, c.unit, r, has, c.already)
		}
		if r.X+r.W > c.bound.W || r.Y+r.H > c.bound.H || r.X%c.unit != 0 || r.Y%c.unit != 0 {
			t.Errorf("AspectRectUnit(%v, %d:%d, unit %d) = %v: outside or off the unit", c.bound, c.w, c.h, c.unit, r)
		}
	}
}
