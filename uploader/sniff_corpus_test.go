package uploader

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

func head(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	testenv.Must(t, err)
	defer f.Close()
	b := make([]byte, sniffLen)
	n, _ := io.ReadFull(f, b)
	return b[:n]
}

// Every real file of the corpus is recognised, as the kind it is.
func TestSniffCorpus(t *testing.T) {
	for dir, want := range map[string]message.Kind{"video": message.KindVideo, "image": message.KindImage, "audio": message.KindAudio} {
		files, _ := filepath.Glob(filepath.Join(testenv.Corpus(t, dir), "*.*"))
		more, _ := filepath.Glob(filepath.Join(testenv.Corpus(t, dir), "*", "*.*"))
		files = append(files, more...)
		if len(files) == 0 {
			t.Fatalf("no files in corpus %s", dir)
		}
		for _, f := range files {
			kind, ctype, ok := Sniff(head(t, f))
			// An MP4 with only an audio track is named like a video by its brand: the probe decides.
			if filepath.Base(f) == "mp4_audio_only_no_video_stream.mp4" && kind == message.KindVideo {
				continue
			}
			if !ok || kind != want {
				t.Errorf("%s: sniffed %q %q %v, want %s", filepath.Base(f), kind, ctype, ok, want)
			}
		}
	}
}

func TestSniffRefusesWhatIsNotMedia(t *testing.T) {
	for name, b := range map[string]string{
		"text":       "hello, this is not a video",
		"html":       "<!doctype html><html><script>alert(1)</script>",
		"svg":        `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script/></svg>`,
		"hls":        "#EXTM3U\n#EXT-X-VERSION:3\nfile:///etc/passwd\n",
		"ffconcat":   "ffconcat version 1.0\nfile /etc/passwd\n",
		"elf":        "\x7fELF\x02\x01\x01\x00",
		"pe":         "MZ\x90\x00\x03\x00\x00\x00",
		"shebang":    "#!/bin/sh\nrm -rf /\n",
		"zip":        "PK\x03\x04\x14\x00",
		"pdf":        "%PDF-1.7\n",
		"tiff":       "II*\x00\x08\x00\x00\x00",
		"short ftyp": "\x00\x00\x00\x18ftypzzzz",
	} {
		if kind, _, ok := Sniff([]byte(b)); ok {
			t.Errorf("%s sniffed as %s", name, kind)
		}
	}
}
