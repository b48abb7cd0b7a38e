package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/quinte-media/quinte/client"
)

// uploadResult is one file of `quinte upload`, as --json prints it.
type uploadResult struct {
	File        string `json:"file"`
	ID          string `json:"id,omitempty"`
	ResumedFrom int64  `json:"resumed_from"`
	Sent        int64  `json:"sent"`
	Size        int64  `json:"size"`
	Captions    bool   `json:"captions"`
	Error       any    `json:"error,omitempty"`
	err         error
}

// upload is `quinte upload FILE…`: each file by tus, a few at once, each with its bar. The URL of
// each unfinished upload is kept in the user's cache dir (client.Resumes), so the same command run
// again after a cut resumes every file from the offset the server has.
func (c *cli) upload(args []string) error {
	fs := c.flags("upload")
	artist := fs.String("artist", "", "the artist's name")
	title := fs.String("title", "", "the message's title")
	campaign := fs.String("campaign", "", "the campaign (its branding), such as spring-tour")
	consent := fs.String("consent", "", "the artist's consent, in their words")
	captions := fs.String("captions", "", "a .srt or .vtt for the message (one file only)")
	agree := fs.String("agree-release", "", "the artist has read and agrees to the server's current release text in this language (en, it): its version and hash go with each upload (required with an invite token)")
	parallel := fs.Int("parallel", 3, "files sent at once")
	chunk := fs.String("chunk-size", "8MiB", "bytes per request: a cut costs at most one")
	files, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("say which files to upload: quinte upload FILE…")
	}
	if *captions != "" && len(files) > 1 {
		return usagef("--captions goes with one file; upload the others without it")
	}
	if *parallel < 1 {
		return usagef("--parallel must be at least 1")
	}
	chunkSize, err := parseSize(*chunk)
	if err != nil {
		return usagef("--chunk-size: %v", err)
	}
	var caps []byte
	if *captions != "" {
		if caps, err = os.ReadFile(*captions); err != nil {
			return usagef("--captions: %v", err)
		}
	}
	seen := map[string]bool{}
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err == nil && seen[abs] {
			return usagef("%s is listed twice", f)
		}
		seen[abs] = true
	}
	sizes := make([]int64, len(files))
	for i, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return usagef("%v", err)
		}
		if !st.Mode().IsRegular() {
			return usagef("%s is not a file", f)
		}
		sizes[i] = st.Size()
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	resumes, err := c.resumes()
	if err != nil {
		return err
	}

	meta := map[string]string{"artist": *artist, "title": *title, "campaign": *campaign, "consent": *consent}
	if *agree != "" {
		rel, err := cl.Release(c.ctx, *agree)
		if err != nil {
			return fmt.Errorf("reading the release text to agree to: %w", err)
		}
		if rel.Lang != *agree {
			return usagef("--agree-release %s: the server's release %s has no text in %q (it has %v)", *agree, rel.Version, *agree, rel.Languages)
		}
		meta["consent_version"], meta["consent_lang"], meta["consent_sha256"] = rel.Version, rel.Lang, rel.SHA256
		meta["consent_agreed_at"] = time.Now().UTC().Format(time.RFC3339)
		if c.tty && !c.json {
			fmt.Fprintf(c.stderr, "%s\n\n", strings.TrimSpace(rel.Text)) // what is agreed to, on screen
		}
		c.note("agreeing to release %s (%s), sha256 %s", rel.Version, rel.Lang, rel.SHA256)
	}
	bs := c.bars()
	results := make([]uploadResult, len(files))
	sem := make(chan struct{}, *parallel)
	var wg sync.WaitGroup
	for i, f := range files {
		b := bs.bytes(filepath.Base(f), sizes[i])
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			r := &results[i]
			r.File, r.Size = f, sizes[i]
			res, err := cl.UploadFile(c.ctx, f, client.UploadOptions{Meta: meta, ChunkSize: chunkSize, Resumes: resumes,
				Progress: func(off, _ int64) { b.set(off) }})
			if err == nil {
				r.ID, r.ResumedFrom, r.Sent = res.ID, res.ResumedFrom, res.Sent
				if caps != nil {
					if err = cl.PutCaptions(c.ctx, res.ID, caps); err != nil {
						err = fmt.Errorf("%s was uploaded as %s, but its captions were refused: %w", f, res.ID, err)
					}
					r.Captions = err == nil
				}
			} else {
				err = fmt.Errorf("%s: %w", f, err)
			}
			r.err = err
			b.done(err == nil)
		})
	}
	wg.Wait()
	bs.wait()

	var first error
	for i := range results {
		r := &results[i]
		if r.err == nil {
			continue
		}
		if first == nil {
			first = r.err
		}
		if c.json {
			code := cliExit(c.ctx, r.err)
			r.Error = map[string]any{"message": r.err.Error(), "exit": code}
		}
	}
	if err := c.out(map[string]any{"uploads": results}, func(w io.Writer) {
		for _, r := range results {
			if r.ID == "" {
				continue
			}
			note := ""
			if r.ResumedFrom > 0 {
				note = fmt.Sprintf("\t(resumed at %d%%)", r.ResumedFrom*100/max(r.Size, 1))
			}
			fmt.Fprintf(w, "%s\t%s%s\n", r.ID, r.File, note)
		}
	}); err != nil {
		return err
	}
	for _, r := range results {
		if r.err != nil && r.err != first && !c.json {
			fmt.Fprintln(c.stderr, "quinte:", r.err)
		}
	}
	if first != nil && errors.Is(first, c.ctx.Err()) {
		return fmt.Errorf("%w; run the same command again to resume", first)
	}
	return first
}

// resumes is where unfinished uploads are remembered: QUINTE_CACHE_DIR, else the user's cache dir.
func (c *cli) resumes() (*client.Resumes, error) {
	dir := c.getenv("QUINTE_CACHE_DIR")
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("no cache dir to remember uploads in (set QUINTE_CACHE_DIR): %w", err)
		}
		dir = filepath.Join(base, "quinte")
	}
	return &client.Resumes{Path: filepath.Join(dir, "uploads.json")}, nil
}
