package library

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/message"
)

// Every reference of a playlist is rewritten, in URI lines and in URI="…" attributes; references that
// leave the folder, are absolute or are not listed are never handed to link.
func TestRewritePlaylist(t *testing.T) {
	listed := map[string]bool{"720p.m3u8": true, "480p.m3u8": true, "init_0.mp4": true, "720p_000.m4s": true, "720p_001.m4s": true, "sub/a.m3u8": true}
	var asked []string
	link := func(rel, ref string) (string, error) {
		asked = append(asked, rel)
		if strings.HasSuffix(rel, ".m3u8") {
			return ref + "?sig", nil
		}
		return "https://s3/" + rel + "?X-Amz=1&b=2", nil
	}
	allowed := func(rel string) bool { return listed[rel] }

	master := "#EXTM3U\r\n#EXT-X-VERSION:7\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",URI=\"sub/a.m3u8\"\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=720x1280\n720p.m3u8\n\n#EXT-X-STREAM-INF:BANDWIDTH=2\n480p.m3u8\n"
	got, err := rewritePlaylist([]byte(master), ".", link, allowed)
	if err != nil {
		t.Fatal(err)
	}
	want := "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",URI=\"sub/a.m3u8?sig\"\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=720x1280\n720p.m3u8?sig\n\n#EXT-X-STREAM-INF:BANDWIDTH=2\n480p.m3u8?sig\n"
	if string(got) != want {
		t.Errorf("master:\n%s\nwant:\n%s", got, want)
	}

	hostile := []string{"../../originals/x/source", "/etc/passwd", "http://169.254.169.254/x.m4s", "file:///etc/passwd", "unlisted.m4s", "720p_000.m4s?x=1", "sub/../../720p_000.m4s"}
	variant := "#EXTM3U\n#EXT-X-MAP:URI=\"init_0.mp4\"\n#EXTINF:4.0,\n720p_000.m4s\n#EXTINF:1.2,\n720p_001.m4s\n"
	for _, h := range hostile {
		variant += "#EXTINF:1.0,\n" + h + "\n#EXT-X-MAP:URI=\"" + h + "\"\n"
	}
	asked = nil
	got, err = rewritePlaylist([]byte(variant), ".", link, allowed)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`#EXT-X-MAP:URI="https://s3/init_0.mp4?X-Amz=1&b=2"`, "\nhttps://s3/720p_000.m4s?X-Amz=1&b=2\n", "\nhttps://s3/720p_001.m4s?X-Amz=1&b=2\n"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("variant lacks %q:\n%s", want, got)
		}
	}
	if strings.Join(asked, " ") != "init_0.mp4 720p_000.m4s 720p_001.m4s" {
		t.Errorf("links asked for %v; hostile references must never be", asked)
	}
	for _, h := range hostile {
		if !strings.Contains(string(got), "\n"+h+"\n") {
			t.Errorf("hostile reference %q was changed", h)
		}
	}

	// A playlist in a subfolder resolves against it.
	asked = nil
	if _, err := rewritePlaylist([]byte("#EXTM3U\n../720p_000.m4s\n"), "sub", link, allowed); err != nil || strings.Join(asked, " ") != "720p_000.m4s" {
		t.Errorf("relative to sub/: asked %v, %v", asked, err)
	}
}

// A playback link opens one message until its expiry, and nothing else.
func TestPlaybackLinks(t *testing.T) {
	s := &Server{linkKey: playbackKey("team-token-0123456789")}
	id, other := message.NewID(), message.NewID()
	now := time.Now()
	exp := now.Add(time.Hour).Unix()
	e := strconv.FormatInt(exp, 10)
	sig := s.playbackSig(id, exp)
	tampered := "A" + sig[1:]
	if sig[0] == 'A' {
		tampered = "B" + sig[1:]
	}
	if !s.checkPlayback(id, e, sig, now) {
		t.Fatal("a fresh link is refused")
	}
	for name, ok := range map[string]bool{
		"expired":       s.checkPlayback(id, e, sig, now.Add(2*time.Hour)),
		"other message": s.checkPlayback(other, e, sig, now),
		"later expiry":  s.checkPlayback(id, strconv.FormatInt(exp+3600, 10), sig, now),
		"tampered":      s.checkPlayback(id, e, tampered, now),
		"no signature":  s.checkPlayback(id, e, "", now),
		"garbage exp":   s.checkPlayback(id, "soon", sig, now),
		"other token":   (&Server{linkKey: playbackKey("another-team-token-000")}).checkPlayback(id, e, sig, now),
		"no token":      (&Server{}).checkPlayback(id, e, sig, now),
	} {
		if ok {
			t.Errorf("%s: accepted", name)
		}
	}
}
