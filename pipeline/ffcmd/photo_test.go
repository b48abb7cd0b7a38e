package ffcmd

import (
	"strings"
	"testing"

	"github.com/quinte-media/quinte/pipeline/geom"
)

// The photo encodes' exact command lines: the options photo/encode.go wrote by hand before, in
// ffmpeg-go's order (each output's options sorted by name).
func TestPhotoCommands(t *testing.T) {
	for _, c := range []struct {
		name string
		got  []string
		want string
	}{
		{"webp", PhotoWebPCommand([]RawPicture{{"/j/0.rgba", geom.Size{W: 2048, H: 1536}}, {"/j/1.rgba", geom.Size{W: 640, H: 480}}}, []string{"/j/image_web.webp", "/j/image_thumb.webp"}, 80),
			"-hide_banner -nostats -v error -nostdin -f rawvideo -pix_fmt rgba -s 2048x1536 -i file:/j/0.rgba -f rawvideo -pix_fmt rgba -s 640x480 -i file:/j/1.rgba " +
				"-map 0:v -c:v libwebp -f webp -frames:v 1 -map_metadata -1 -pix_fmt yuv420p -quality 80 -y file:/j/image_web.webp " +
				"-map 1:v -c:v libwebp -f webp -frames:v 1 -map_metadata -1 -pix_fmt yuv420p -quality 80 -y file:/j/image_thumb.webp"},
		{"loop", PhotoLoopCommand(geom.Size{W: 481, H: 271}, 25, geom.Size{W: 480, H: 270}, Settings{Preset: "medium", CRF: 20}, "/j/preview_mp4.mp4"),
			"-hide_banner -nostats -v error -f rawvideo -framerate 25 -pix_fmt rgba -s 481x271 -i pipe:0 -an -c:v libx264 -color_primaries bt709 -color_range tv " +
				"-color_trc bt709 -colorspace bt709 -crf 20 -f mp4 -fflags +bitexact -flags:v +bitexact -map_metadata -1 -movflags +faststart -pix_fmt yuv420p " +
				"-preset medium -profile:v high -threads:v 3 -vf scale=480:270:flags=lanczos:out_color_matrix=bt709:out_range=tv,format=yuv420p -y file:/j/preview_mp4.mp4"},
	} {
		if got := strings.Join(c.got, " "); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}
