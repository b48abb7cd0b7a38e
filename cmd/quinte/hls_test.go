package main

import (
	"bufio"
	"bytes"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quinte-media/quinte/config"
	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
)

// playerGet fetches u as a player does: no Authorization header, redirects followed.
func playerGet(t *testing.T, u string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Get(u)
	testenv.Must(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	testenv.Must(t, err)
	return resp.StatusCode, b, resp.Header
}

var uriAttr = regexp.MustCompile(`URI="([^"]*)"`)

// playlistRefs returns the references of an m3u8 playlist: URI lines and URI="…" attributes.
func playlistRefs(body []byte) []string {
	var refs []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "#"):
			for _, m := range uriAttr.FindAllStringSubmatch(line, -1) {
				refs = append(refs, m[1])
			}
		default:
			refs = append(refs, line)
		}
	}
	return refs
}

func resolveRef(t *testing.T, base, ref string) string {
	t.Helper()
	b, err := url.Parse(base)
	testenv.Must(t, err)
	r, err := url.Parse(ref)
	testenv.Must(t, err)
	return b.ResolveReference(r).String()
}

// HLS plays through the API: the message's hls/master link is this API's route, signed; a player
// (no Authorization header) follows it to every variant through the API and to every init section
// and segment through presigned S3 URLs, and gets the bytes stored in S3. Every file of the manifest's
// HLS output is reached, ffmpeg plays the master URL itself, and each variant copied to disk with local
// names probes as the clip. A tampered or re-dated link gets 403, files outside the HLS output 404.
func TestHLSPlaysThroughTheAPI(t *testing.T) {
	m := startMain(t, config.RoleRun, realEnv(t))
	c := &testenv.Client{Base: m.URL, Token: token}
	clip := testenv.Corpus(t, "video/anamorphic_sar3x2_1280x1080.mp4")
	id := c.Upload(t, clip, nil)
	v := c.WaitReady(t, id, 5*time.Minute)
	masterURL := v.Output(t, "hls/master").URL
	if !strings.HasPrefix(masterURL, m.URL+"/v1/messages/"+id+"/hls/master.m3u8?") {
		t.Fatalf("hls/master links to %s, not to the API's HLS route", masterURL)
	}
	var hls message.Output
	for _, o := range manifestOf(t, m, id).Outputs {
		if o.Role == message.RoleHLS {
			hls = o
		}
	}
	want := append([]string{hls.Key}, hls.Parts...)
	reached := map[string]bool{hls.Key: true}
	bucketPath := "/" + m.Store.Bucket() + "/"

	status, master, h := playerGet(t, masterURL)
	if status != http.StatusOK || h.Get("Content-Type") != "application/vnd.apple.mpegurl" {
		t.Fatalf("master: %d %s %s", status, h.Get("Content-Type"), master)
	}
	variants := playlistRefs(master)
	if len(variants) == 0 {
		t.Fatalf("the master names no variant:\n%s", master)
	}
	dir := t.TempDir()
	srcDuration := testenv.MediaDuration(t, clip)
	for i, ref := range variants {
		vu := resolveRef(t, masterURL, ref)
		if !strings.HasPrefix(vu, m.URL+"/v1/messages/"+id+"/hls/") || !strings.Contains(vu, "sig=") {
			t.Errorf("variant %s does not go through the signed route", vu)
			continue
		}
		status, variant, _ := playerGet(t, vu)
		if status != http.StatusOK {
			t.Errorf("variant %s: %d %s", vu, status, variant)
			continue
		}
		u, _ := url.Parse(vu)
		reached[path.Dir(hls.Key)+"/"+path.Base(u.Path)] = true

		// Each init section and segment: a presigned S3 URL, the bytes stored, saved under its own name.
		local := string(variant)
		for _, sref := range playlistRefs(variant) {
			su, err := url.Parse(sref)
			testenv.Must(t, err)
			if !su.IsAbs() || !strings.HasPrefix(su.Path, bucketPath) || su.Query().Get("X-Amz-Signature") == "" {
				t.Errorf("segment reference %s is not a presigned S3 URL", sref)
				continue
			}
			key := strings.TrimPrefix(su.Path, bucketPath)
			status, got, _ := playerGet(t, sref)
			if status != http.StatusOK || !bytes.Equal(got, stored(t, m, key)) {
				t.Errorf("segment %s: %d, %d bytes, want the %d bytes in S3", key, status, len(got), len(stored(t, m, key)))
			}
			reached[key] = true
			testenv.Must(t, os.WriteFile(filepath.Join(dir, path.Base(key)), got, 0o644))
			local = strings.Replace(local, sref, path.Base(key), 1)
		}
		p := filepath.Join(dir, "variant"+strconv.Itoa(i)+".m3u8")
		testenv.Must(t, os.WriteFile(p, []byte(local), 0o644))
		probed := testenv.Probe(t, p)
		if d := probed.Duration(); math.Abs(d-srcDuration) > 0.1 || len(probed.Streams) != 2 || probed.Streams[0].CodecName != "h264" {
			t.Errorf("variant %s copied locally: %.3f s (source %.3f s), streams %+v", ref, d, srcDuration, probed.Streams)
		}
		testenv.FFmpeg(t, "-xerror", "-i", p, "-f", "null", "-")
	}
	t.Logf("HLS through the API: %d variants, %d of the %d files of the output reached", len(variants), len(reached), len(want))
	for _, k := range want {
		if !reached[k] {
			t.Errorf("%s is in the manifest but no playlist led to it", k)
		}
	}
	// ffmpeg as the player: from the master URL over HTTP, every variant, no header.
	testenv.FFmpeg(t, "-protocol_whitelist", "http,tcp", "-xerror", "-i", masterURL, "-map", "0", "-f", "null", "-")

	// Links that are not this message's, or not signed as they say, open nothing.
	mu, _ := url.Parse(masterURL)
	q := mu.Query()
	route := m.URL + "/v1/messages/" + id + "/hls/"
	other := c.Upload(t, testenv.Corpus(t, "audio/pcm_s16le_mono_44k.wav"), nil)
	sig := q.Get("sig")
	tampered := "A" + sig[1:]
	if sig[0] == 'A' {
		tampered = "B" + sig[1:]
	}
	exp, _ := strconv.ParseInt(q.Get("exp"), 10, 64)
	for name, u := range map[string]string{
		"tampered signature":   route + "master.m3u8?exp=" + q.Get("exp") + "&sig=" + tampered,
		"later expiry":         route + "master.m3u8?exp=" + strconv.FormatInt(exp+3600, 10) + "&sig=" + sig,
		"past expiry":          route + "master.m3u8?exp=" + strconv.FormatInt(time.Now().Add(-time.Minute).Unix(), 10) + "&sig=" + sig,
		"no signature":         route + "master.m3u8?exp=" + q.Get("exp"),
		"another message":      m.URL + "/v1/messages/" + other + "/hls/master.m3u8?" + q.Encode(),
		"another message's id": m.URL + "/v1/messages/" + message.NewID() + "/hls/master.m3u8?" + q.Encode(),
	} {
		if status, body, _ := playerGet(t, u); status != http.StatusForbidden {
			t.Errorf("%s: %d %s", name, status, body)
		}
	}
	if status, _, _ := playerGet(t, route+"master.m3u8"); status != http.StatusUnauthorized {
		t.Errorf("no link, no token: %d", status)
	}
	// Only the HLS output's files: not the manifest, the original or anything made up.
	for _, file := range []string{"../manifest.json", "..%2Fmanifest.json", "..%2F..%2F..%2Foriginals%2F" + id + "%2Fsource", "nothing.m4s", "master.m3u8%00", "%2e%2e/status.json"} {
		if status, body, _ := playerGet(t, route+file+"?"+q.Encode()); status < 400 || status >= 500 {
			t.Errorf("%s: %d %.200s", file, status, body)
		}
	}
	// The team token opens the route too (fresh links inside); an invite token does not.
	if status, body, _ := c.Do(t, "GET", "/v1/messages/"+id+"/hls/master.m3u8", nil, nil); status != http.StatusOK || !strings.Contains(string(body), "sig=") {
		t.Errorf("team token: %d %s", status, body)
	}
	_, invTok := createInvite(t, c, `{}`)
	if status, _, _ := (&testenv.Client{Base: m.URL, Token: invTok}).Do(t, "GET", "/v1/messages/"+id+"/hls/master.m3u8", nil, nil); status != http.StatusForbidden {
		t.Errorf("invite token: %d", status)
	}
}
