package geom

import "testing"

func TestAspectRect(t *testing.T) {
	for _, c := range []struct {
		s    Size
		w, h int
		want Rect
	}{
		{Size{2160, 3840}, 9, 16, Rect{0, 0, 2160, 3840}},
		{Size{1920, 1080}, 9, 16, Rect{656, 0, 606, 1080}},
		{Size{1920, 1080}, 1, 1, Rect{420, 0, 1080, 1080}},
		{Size{1080, 1920}, 16, 9, Rect{0, 656, 1080, 606}},
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
