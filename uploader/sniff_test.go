package uploader

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

func sniffHead(b []byte) []byte { return b[:min(len(b), sniffLen)] }

func readCorpus(t *testing.T, rel string) []byte {
	b, err := os.ReadFile(testenv.Corpus(t, rel))
	testenv.Must(t, err)
	return b
}

// Every real phone, camera and browser file of the corpus is let in, as the kind it is, and neither its
// head nor its tail is taken for a polyglot.
func TestSniffAcceptsTheCorpus(t *testing.T) {
	want := map[string]message.Kind{"video": message.KindVideo, "image": message.KindImage, "audio": message.KindAudio}
	for dir, kind := range want {
		var files []string
		testenv.Must(t, filepath.WalkDir(testenv.Corpus(t, dir), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				files = append(files, p)
			}
			return err
		}))
		for _, p := range files {
			b, err := os.ReadFile(p)
			testenv.Must(t, err)
			k, ctype, ok := Sniff(sniffHead(b))
			if !ok {
				t.Errorf("%s: refused as %s", filepath.Base(p), Refusal(sniffHead(b)))
				continue
			}
			if what := PolyglotTail(b[max(0, len(b)-zipTailLen):]); what != "" {
				t.Errorf("%s: tail looks like %s", filepath.Base(p), what)
			}
			// An audio-only MP4 is video by its container; the probe tells it apart later.
			if k != kind && !(filepath.Base(p) == "mp4_audio_only_no_video_stream.mp4" && k == message.KindVideo) {
				t.Errorf("%s: sniffed %s (%s), want %s", filepath.Base(p), k, ctype, kind)
			}
		}
	}
}

// What is not media, named as media or not, is refused with words that say what it looks like.
func TestSniffSaysWhatANonMediaFileIs(t *testing.T) {
	wantWords := map[string]string{
		"text named .mp4": "text", "HTML": "web page", "SVG with script": "SVG", "shell script": "script",
		"ELF executable": "program", "Windows PE executable": "Windows program", "ZIP archive": "ZIP",
		"PDF": "PDF", "HLS playlist": "playlist", "ffconcat list": "playlist", "AVI with an HLS playlist in a GAB2 subtitle chunk": "playlist",
	}
	for _, h := range testenv.NotMedia(t) {
		if k, ct, ok := Sniff(sniffHead(h.Data)); ok {
			t.Errorf("%s (%s): accepted as %s %s", h.Name, h.Why, k, ct)
		}
		if w, ok := wantWords[h.Why]; ok && !strings.Contains(Refusal(sniffHead(h.Data)), w) {
			t.Errorf("%s: refusal %q does not say %q", h.Why, Refusal(sniffHead(h.Data)), w)
		}
	}
	if k, _, ok := Sniff(nil); ok || k != "" {
		t.Error("an empty file is accepted")
	}
}

// Media that is also a web page, a PDF, a playlist or a ZIP is refused: by its head, or by its tail.
func TestSniffRefusesPolyglots(t *testing.T) {
	jpeg := readCorpus(t, "image/progressive_faces_840x700.jpg")
	gif := readCorpus(t, "image/animated_people_480x270.gif")
	mp4 := readCorpus(t, "video/iphone4s_h264_rotated.mov")
	for _, h := range testenv.Polyglots(t, jpeg, gif, mp4) {
		_, _, ok := Sniff(sniffHead(h.Data))
		tail := PolyglotTail(h.Data[max(0, len(h.Data)-zipTailLen):])
		if ok && tail == "" {
			t.Errorf("%s (%s) is accepted", h.Name, h.Why)
		}
		if ok && !strings.Contains(tail, "ZIP") {
			t.Errorf("%s: tail says %q", h.Why, tail)
		}
		if !ok && !strings.Contains(Refusal(sniffHead(h.Data)), "polyglot") {
			t.Errorf("%s: refusal %q does not say polyglot", h.Why, Refusal(sniffHead(h.Data)))
		}
	}
}

// Old camcorders and cameras write AVI (Motion JPEG or MPEG-4 with PCM or MP3) and MPEG program
// streams (MPEG-2, .mpg/.vob): both are video. A program stream's pack header must have its marker
// bits; an AVI whose head carries a playlist (Neex's GAB2 trick in its classic layout) is a polyglot.
func TestSniffAcceptsCamcorderFormats(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name, ctype string
		args        []string
	}{
		{"mjpeg.avi", "video/x-msvideo", []string{"-c:v", "mjpeg", "-c:a", "pcm_s16le"}},
		{"xvid.avi", "video/x-msvideo", []string{"-c:v", "mpeg4", "-vtag", "XVID", "-c:a", "libmp3lame"}},
		{"dvd.mpg", "video/mpeg", []string{"-c:v", "mpeg2video", "-c:a", "mp2", "-f", "vob"}},
		{"mpeg1.mpg", "video/mpeg", []string{"-c:v", "mpeg1video", "-c:a", "mp2", "-f", "mpeg"}},
	} {
		p := filepath.Join(dir, c.name)
		testenv.FFmpeg(t, append(append([]string{"-f", "lavfi", "-i", "testsrc=s=64x48:d=0.5", "-f", "lavfi", "-i", "sine=d=0.5"}, c.args...), "-shortest", p)...)
		b, err := os.ReadFile(p)
		testenv.Must(t, err)
		if k, ct, ok := Sniff(sniffHead(b)); !ok || k != message.KindVideo || ct != c.ctype {
			t.Errorf("%s: sniffed %v %s %s (%s), want video %s", c.name, ok, k, ct, Refusal(sniffHead(b)), c.ctype)
		}
	}
	if _, _, ok := Sniff(append([]byte{0, 0, 1, 0xBA, 0xFF, 0xFF}, make([]byte, 64)...)); ok {
		t.Error("a pack start code without its marker bits is accepted")
	}
	neex := testenv.NeexAVI(testenv.HLSPlaylist("file:///etc/passwd"))
	if _, _, ok := Sniff(sniffHead(neex)); ok || !strings.Contains(Refusal(sniffHead(neex)), "playlist") {
		t.Errorf("Neex's AVI with its playlist in the head: accepted %v, refusal %q", ok, Refusal(sniffHead(neex)))
	}
}

// Two bytes of MPEG sync are no magic: a UTF-16 byte order mark has them. Frames must chain.
func TestSniffMPEGAudioFrames(t *testing.T) {
	frame := func(hdr []byte, n int) []byte { return append(append([]byte{}, hdr...), make([]byte, n-len(hdr))...) }
	mp3 := []byte{0xFF, 0xFB, 0x90, 0x64} // MPEG-1 layer III, 128 kbit/s, 44.1 kHz: 417-byte frames
	if n := mpegFrameLen(mp3); n != 417 {
		t.Fatalf("frame length %d, want 417", n)
	}
	two := append(frame(mp3, 417), frame(mp3, 417)...)
	if k, _, ok := Sniff(two); !ok || k != message.KindAudio {
		t.Error("two chained MP3 frames are refused")
	}
	broken := append(frame(mp3, 417), []byte("<html>not another frame</html>")...)
	if _, _, ok := Sniff(broken); ok {
		t.Error("an MP3 header followed by garbage is accepted")
	}
	for _, bad := range [][]byte{{0xFF, 0xFE, 0x3C, 0x00}, {0xFF, 0xFB, 0xF0, 0x00}, {0xFF, 0xEB, 0x90, 0x00}, {0xFF, 0xF9, 0x90, 0x00}} {
		if _, _, ok := Sniff(append(bad, make([]byte, 600)...)); ok {
			t.Errorf("header % x accepted", bad)
		}
	}
	adts := []byte{0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC} // AAC-LC 44.1 kHz stereo, 16-byte frames
	if k, ct, ok := Sniff(append(frame(adts, 16), frame(adts, 16)...)); !ok || k != message.KindAudio || ct != "audio/aac" {
		t.Errorf("two ADTS frames: %v %s %s", ok, k, ct)
	}
}

func TestPolyglotTailNeedsARealEndRecord(t *testing.T) {
	eocd := []byte("PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	if PolyglotTail(append([]byte("media..."), append(eocd, 0, 0)...)) == "" {
		t.Error("an end record with no comment is missed")
	}
	// The signature alone, not at its place, is just bytes of media.
	if got := PolyglotTail(append(append([]byte("media..."), eocd...), []byte("more media after it")...)); got != "" {
		t.Errorf("a stray signature is taken for a ZIP: %q", got)
	}
}
