package library

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/message"
)

// HLS playback through the API. The playlists name their variants and segments by relative path, and
// a presigned S3 URL of master.m3u8 does not lend its signature to them, so a player cannot follow it.
// GET /v1/messages/{id}/hls/{file} serves the playlists instead, rewritten: a variant playlist becomes
// this same route (relative, with the same signature), a segment or init section a presigned S3 URL.
// Players cannot send a Bearer header, so the route takes a signed link (?exp=&sig=: HMAC-SHA256 over
// the message id and the expiry, keyed from the team token) as well as the team token. Only the files
// the manifest lists for hls/master are served.

// maxPlaylistBytes bounds a playlist read from S3 (a 10-minute clip's variant lists ~150 segments).
const maxPlaylistBytes = 4 << 20

// playbackKey derives the key of playback links from the team token: every API process of a
// deployment signs and checks the same links, and changing the token ends them all.
func playbackKey(teamToken string) []byte {
	if teamToken == "" {
		return nil
	}
	m := hmac.New(sha256.New, []byte(teamToken))
	m.Write([]byte("quinte hls playback links v1"))
	return m.Sum(nil)
}

// playbackSig signs message id's playback links until exp (Unix seconds).
func (s *Server) playbackSig(id string, exp int64) string {
	m := hmac.New(sha256.New, s.linkKey)
	m.Write([]byte(id + "\n" + strconv.FormatInt(exp, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// playbackQuery is the query that opens message id's HLS files until exp.
func (s *Server) playbackQuery(id string, exp int64) string {
	return url.Values{"exp": {strconv.FormatInt(exp, 10)}, "sig": {s.playbackSig(id, exp)}}.Encode()
}

// checkPlayback reports whether exp and sig open message id's HLS files at now.
func (s *Server) checkPlayback(id, exp, sig string, now time.Time) bool {
	e, err := strconv.ParseInt(exp, 10, 64)
	if err != nil || len(s.linkKey) == 0 || now.Unix() >= e {
		return false
	}
	want := s.playbackSig(id, e)
	return hmac.Equal([]byte(sig), []byte(want))
}

// playbackURL is the link the message view gives for hls/master: this API's route, signed for the
// download links' lifetime.
func (s *Server) playbackURL(base, id string, master message.Output) string {
	exp := time.Now().Add(s.cfg.URLTTL).Unix()
	return base + "/v1/messages/" + id + "/hls/" + path.Base(master.Key) + "?" + s.playbackQuery(id, exp)
}

// signedHLS answers the HLS route for a request carrying a playback link, and reports whether it did;
// the others go through authentication (the team token opens the route too; an invite does not, it
// sees no outputs).
func (s *Server) signedHLS(w http.ResponseWriter, r *http.Request) bool {
	q := r.URL.Query()
	if !q.Has("sig") && !q.Has("exp") {
		return false
	}
	id := r.PathValue("id")
	if !s.checkPlayback(id, q.Get("exp"), q.Get("sig"), time.Now()) {
		httpapi.WriteError(w, httpapi.Errorf(http.StatusForbidden, "bad_link", "this playback link is not valid or has expired; read the message again for a fresh one"))
		return true
	}
	exp, _ := strconv.ParseInt(q.Get("exp"), 10, 64)
	s.serveHLS(w, r, id, exp)
	return true
}

// teamHLS answers the HLS route for the team token; the playlists it serves carry fresh links.
func (s *Server) teamHLS(w http.ResponseWriter, r *http.Request) {
	s.serveHLS(w, r, r.PathValue("id"), time.Now().Add(s.cfg.URLTTL).Unix())
}

// serveHLS serves one file of message id's HLS output: a playlist rewritten, anything else by a
// redirect to a presigned URL. Variant links carry exp, so a link never outlives the one it came from.
func (s *Server) serveHLS(w http.ResponseWriter, r *http.Request, id string, exp int64) {
	ctx := r.Context()
	file := r.PathValue("file")
	notFound := httpapi.Errorf(http.StatusNotFound, "not_found", "this message has no such HLS file (is it ready?)")
	if !message.ValidID(id) || !fs.ValidPath(file) {
		httpapi.WriteError(w, notFound)
		return
	}
	var man message.Manifest
	if err := s.store.GetJSON(ctx, message.ManifestKey(id), &man); errors.Is(err, fs.ErrNotExist) {
		httpapi.WriteError(w, notFound)
		return
	} else if err != nil {
		httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
		return
	}
	i := slices.IndexFunc(man.Outputs, func(o message.Output) bool { return o.Role == message.RoleHLS })
	if i < 0 {
		httpapi.WriteError(w, notFound)
		return
	}
	files := hlsFiles(man.Outputs[i])
	key := files.dir + file
	if !files.has(key) {
		httpapi.WriteError(w, notFound)
		return
	}
	if path.Ext(key) != ".m3u8" {
		u, err := s.downloadURL(ctx, httpapi.RequestBase(r), key, "")
		if err != nil {
			httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
			return
		}
		http.Redirect(w, r, u, http.StatusFound)
		return
	}
	rc, err := s.store.Open(ctx, key, -1)
	if err != nil {
		httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
		return
	}
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, maxPlaylistBytes))
	if err != nil {
		httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
		return
	}
	query := s.playbackQuery(id, exp)
	out, err := rewritePlaylist(body, path.Dir(file), func(rel, ref string) (string, error) {
		if path.Ext(rel) == ".m3u8" {
			return ref + "?" + query, nil // this route mirrors the folder: the relative path still works
		}
		return s.downloadURL(ctx, httpapi.RequestBase(r), files.dir+rel, "")
	}, func(rel string) bool { return files.has(files.dir + rel) })
	if err != nil {
		httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
		return
	}
	w.Header().Set("Content-Type", "application/vnd.apple.mpegurl")
	w.Header().Set("Cache-Control", "no-store") // it holds links that expire
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(out)
}

// hlsOutput is the set of keys of an HLS output: the master and its parts, under one folder.
type hlsOutput struct {
	dir  string // the master's folder, ending in "/"
	keys []string
}

func hlsFiles(master message.Output) hlsOutput {
	return hlsOutput{dir: path.Dir(master.Key) + "/", keys: append([]string{master.Key}, master.Parts...)}
}

func (h hlsOutput) has(key string) bool {
	return strings.HasPrefix(key, h.dir) && slices.Contains(h.keys, key)
}

// uriAttr is a URI="…" attribute of a playlist tag (EXT-X-MAP, EXT-X-MEDIA, EXT-X-I-FRAME-STREAM-INF).
var uriAttr = regexp.MustCompile(`URI="([^"]*)"`)

// rewritePlaylist replaces every reference of an m3u8 playlist (URI lines and URI="…" attributes):
// each is resolved against dir (the playlist's folder, relative to the HLS folder), checked with
// allowed, and replaced by link(resolved, ref). A reference that is absolute, climbs out of the folder or
// names a file not allowed is left as it is, unusable, rather than followed.
func rewritePlaylist(body []byte, dir string, link func(rel, ref string) (string, error), allowed func(rel string) bool) ([]byte, error) {
	resolve := func(ref string) (string, error) {
		u, err := url.Parse(ref)
		if err != nil || u.Scheme != "" || u.Host != "" || u.RawQuery != "" || strings.HasPrefix(u.Path, "/") {
			return ref, nil
		}
		rel := path.Join(dir, u.Path)
		if !fs.ValidPath(rel) || !allowed(rel) {
			return ref, nil
		}
		return link(rel, ref)
	}
	var out bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, "#"):
			var err error
			line = uriAttr.ReplaceAllStringFunc(line, func(attr string) string {
				l, e := resolve(uriAttr.FindStringSubmatch(attr)[1])
				if e != nil {
					err = e
				}
				return `URI="` + l + `"`
			})
			if err != nil {
				return nil, err
			}
		default:
			l, err := resolve(strings.TrimSpace(line))
			if err != nil {
				return nil, err
			}
			line = l
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	return out.Bytes(), sc.Err()
}
