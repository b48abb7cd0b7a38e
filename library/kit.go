package library

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/message"
)

// The social kit: GET /v1/messages/{id}/kit is one zip of what a social team posts (every crop, the
// posters, the captions) and credits.txt saying whose it is. It is streamed: each object is copied
// from S3 into the zip as it arrives (stored, not compressed again: the media are compressed
// already), so memory stays flat whatever the size and nothing touches the disk. Names inside are
// built from slugs of the artist and the title (fileBase), never from user text as typed.

// teamMessagePath is where the team's page of a message lives (credits.txt links to it).
const teamMessagePath = "/team/messages/"

// kitEntry is one file of a kit.
type kitEntry struct {
	name string
	key  string
	text []byte // credits.txt: written from memory
}

// messageKit handles GET /v1/messages/{id}/kit.
func (s *Server) messageKit(w http.ResponseWriter, r *http.Request) {
	id, aerr := httpapi.OwnMessage(r)
	if aerr != nil {
		httpapi.WriteError(w, aerr)
		return
	}
	ctx := r.Context()
	rec, err := s.states.Get(ctx, id)
	if errors.Is(err, fs.ErrNotExist) {
		httpapi.WriteError(w, httpapi.Errorf(http.StatusNotFound, "not_found", "no message has this id"))
		return
	} else if err != nil {
		httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
		return
	}
	var man message.Manifest
	if rec.Status == message.StatusReady {
		err = s.store.GetJSON(ctx, message.ManifestKey(id), &man)
	}
	if rec.Status != message.StatusReady || errors.Is(err, fs.ErrNotExist) {
		httpapi.WriteError(w, httpapi.Errorf(http.StatusConflict, "not_ready", "the message is %s: its kit is made of its outputs, once it is ready", rec.Status))
		return
	} else if err != nil {
		httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
		return
	}
	var meta message.Meta
	if err := s.store.GetJSON(ctx, message.MetaKey(id), &meta); err != nil && !errors.Is(err, fs.ErrNotExist) {
		httpapi.WriteError(w, httpapi.StorageDown(s.log, err))
		return
	}
	base := fileBase(id, meta.Artist, meta.Title)
	entries := kitEntries(base, man.Outputs)
	entries = append(entries, kitEntry{name: "credits.txt", text: []byte(credits(id, meta, httpapi.RequestBase(r), s.consentLines(ctx, id, meta)))})

	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": base + "_kit.zip"}))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return // the headers say it all; reading every object for nothing would not
	}
	if err := writeKit(ctx, w, s.store, entries, man.PublishedAt); err != nil && !errors.Is(err, context.Canceled) {
		// The answer has started: the client sees a zip cut short (no central directory), which no
		// unzip takes for whole.
		s.log.Warn("streaming a social kit failed", "message_id", id, "err", err)
	}
}

// objectOpener is what a kit reads of the bucket: each object, from its start.
type objectOpener interface {
	Open(ctx context.Context, key string, n int64) (io.ReadCloser, error)
}

// writeKit streams entries into a zip on w.
func writeKit(ctx context.Context, w io.Writer, store objectOpener, entries []kitEntry, modified time.Time) error {
	zw := zip.NewWriter(w)
	for _, e := range entries {
		hdr := &zip.FileHeader{Name: e.name, Method: zip.Store, Modified: modified}
		if e.text != nil || !compressed(e.name) {
			hdr.Method = zip.Deflate
		}
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if e.text != nil {
			if _, err := fw.Write(e.text); err != nil {
				return err
			}
			continue
		}
		rc, err := store.Open(ctx, e.key, -1)
		if err != nil {
			return fmt.Errorf("%s: %w", e.key, err)
		}
		_, err = io.Copy(fw, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", e.key, err)
		}
	}
	return zw.Close()
}

// compressed reports whether a file of this name is compressed already (zip stores it as it is).
func compressed(name string) bool {
	switch path.Ext(name) {
	case ".mp4", ".m4a", ".webm", ".jpg", ".jpeg", ".webp", ".png", ".gif", ".avif", ".mp3", ".aac":
		return true
	}
	return false
}

// kitEntries are the kit's files among a manifest's outputs: crops, posters, captions (and an audio
// message's audiogram), named base_<what>.<ext>, each name once.
func kitEntries(base string, outs []message.Output) []kitEntry {
	var entries []kitEntry
	used := map[string]bool{"credits.txt": true}
	for _, o := range outs {
		switch o.Role {
		case message.RoleCrop, message.RolePoster, message.RoleCaption, message.RoleAudiogram:
		default:
			continue
		}
		if o.Key == "" {
			continue
		}
		name := outputFileName(base, o)
		for n := 2; used[name]; n++ {
			ext := path.Ext(name)
			name = fmt.Sprintf("%s-%d%s", strings.TrimSuffix(outputFileName(base, o), ext), n, ext)
		}
		used[name] = true
		entries = append(entries, kitEntry{name: name, key: o.Key})
	}
	return entries
}

// outputFileName is the name an output downloads as, in a kit or alone: base_<what>.<ext>, what
// being the output's name made short: crop/9x16 is 9x16, poster/640/webp poster-640, caption/vtt
// caption (the extension says the rest), rendition/720p rendition-720p.
func outputFileName(base string, o message.Output) string {
	what := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(o.Name, "crop/"), "/webp"), "/vtt")
	what = slug(strings.ReplaceAll(what, "/", " "), 20)
	if what == "" {
		what = slug(o.Role, 20)
	}
	ext := path.Ext(o.Key)
	if !safeExt(ext) {
		ext = ""
	}
	return base + "_" + what + ext
}

func safeExt(ext string) bool {
	if len(ext) < 2 || len(ext) > 6 {
		return false
	}
	for _, r := range ext[1:] {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// fileBase is the readable part of the names a message's files download as: the artist's and the
// title's slugs ("ada-thank-you-crew"), at most 50 bytes (a kit's entry names stay within 80), or
// the id when neither leaves a letter.
func fileBase(id, artist, title string) string {
	a := slug(artist, 50)
	base := a
	if len(a) < 49 { // the title's slug in what is left after the artist's and a dash
		base = strings.Trim(a+"-"+slug(title, 50-len(a)-1), "-")
	}
	if base == "" {
		return id
	}
	return base
}

// credits is credits.txt: whose message it is and where it came from, in plain text.
func credits(id string, meta message.Meta, base string, consent []string) string {
	var b strings.Builder
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%-9s %s\r\n", k+":", v)
		}
	}
	line("Artist", meta.Artist)
	line("Title", meta.Title)
	line("Campaign", meta.Campaign)
	for _, c := range consent {
		line("Consent", c)
	}
	line("Message", base+teamMessagePath+id)
	line("API", base+"/v1/messages/"+id)
	line("ID", id)
	return b.String()
}

// consentLines say what the artist agreed to, as the message's consent record has it.
func (s *Server) consentLines(_ context.Context, _ string, meta message.Meta) []string {
	c := meta.Consent
	switch {
	case c == nil || (!c.Recorded && c.Statement == "" && c.Version == ""):
		return []string{"not recorded"}
	case !c.Recorded && c.Statement != "":
		return []string{"not recorded as a release; the uploader said: " + c.Statement}
	}
	line := "release " + c.Version
	if c.Lang != "" {
		line += " (" + c.Lang + ")"
	}
	if c.AgreedAt != nil {
		line += ", agreed " + c.AgreedAt.UTC().Format(time.RFC3339)
	}
	if c.By != "" {
		line += ", stated by " + c.By
	}
	if c.SHA256 != "" {
		line += ", text sha256 " + c.SHA256
	}
	return []string{line}
}
