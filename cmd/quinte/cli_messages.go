package main

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/quinte-media/quinte/client"
	"github.com/quinte-media/quinte/message"
)

// status is `quinte status ID [--wait]`.
func (c *cli) status(args []string) error {
	fs := c.flags("status")
	wait := fs.Bool("wait", false, "wait until the message is ready or failed, showing its progress")
	every := fs.Duration("every", time.Second, "how often --wait asks")
	rest, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	id, err := oneID(rest, "status")
	if err != nil {
		return err
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	var m *client.Message
	if *wait {
		m, err = c.waitFor(cl, id, *every)
	} else {
		m, err = cl.Get(c.ctx, id)
	}
	if err != nil {
		return err
	}
	if err := c.out(m, func(w io.Writer) { fmt.Fprintln(w, describe(m)) }); err != nil {
		return err
	}
	return failedError(m)
}

// waitFor waits for a message to be ready or failed: a bar with the stage and its percent on a
// terminal, else a line on stderr when the stage changes.
func (c *cli) waitFor(cl *client.Client, id string, every time.Duration) (*client.Message, error) {
	bs := c.bars()
	var mu sync.Mutex
	label := "queued"
	b := bs.stage(id, func() string { mu.Lock(); defer mu.Unlock(); return label })
	last := ""
	m, err := cl.Wait(c.ctx, id, every, func(m *client.Message) {
		now := string(m.Status)
		pct := int64(0)
		if m.Progress != nil {
			now = fmt.Sprintf("%s: %s %d%%", m.Status, m.Progress.Stage, m.Progress.Percent)
			pct = int64(m.Progress.Percent)
		}
		mu.Lock()
		label = now
		mu.Unlock()
		b.set(pct)
		if b == nil && (m.Progress == nil || last == "" || !strings.HasPrefix(last, string(m.Status)+": "+m.Progress.Stage+" ")) && now != last {
			c.note("%s %s", id, now)
		}
		last = now
	})
	b.done(err == nil && m.Status == message.StatusReady)
	bs.wait()
	return m, err
}

// describe is a message in one line: id, status, kind, and why it failed or how far it is.
func describe(m *client.Message) string {
	s := fmt.Sprintf("%s\t%s\t%s", m.ID, m.Status, m.Kind)
	switch {
	case m.Error != nil:
		s += fmt.Sprintf("\t%s: %s", m.Error.Code, m.Error.Message)
	case m.Progress != nil:
		s += fmt.Sprintf("\t%s %d%%", m.Progress.Stage, m.Progress.Percent)
	case m.Status == message.StatusReady:
		s += fmt.Sprintf("\t%d outputs", len(m.Outputs))
	}
	return s
}

// failedError is exit 6 for a failed message.
func failedError(m *client.Message) error {
	if m.Status != message.StatusFailed {
		return nil
	}
	why := "no reason given"
	if m.Error != nil {
		why = m.Error.Code + ": " + m.Error.Message
	}
	return &codedError{exitFailed, "message_failed", fmt.Errorf("message %s failed: %s", m.ID, why)}
}

// ready is the message, once ready: waiting for it with wait, else exit 8 while it is not.
func (c *cli) ready(cl *client.Client, id string, wait bool) (*client.Message, error) {
	var m *client.Message
	var err error
	if wait {
		m, err = c.waitFor(cl, id, time.Second)
	} else {
		m, err = cl.Get(c.ctx, id)
	}
	if err != nil {
		return nil, err
	}
	if err := failedError(m); err != nil {
		return nil, err
	}
	if m.Status == message.StatusRevoked {
		return nil, &codedError{exitNotFound, "revoked", fmt.Errorf("message %s was revoked: its files are deleted", id)}
	}
	if m.Status != message.StatusReady {
		return nil, &codedError{exitNotReady, "not_ready", fmt.Errorf("message %s is %s, not ready yet: add --wait, or see quinte status %s --wait", id, m.Status, id)}
	}
	return m, nil
}

func oneID(rest []string, cmd string) (string, error) {
	if len(rest) != 1 {
		return "", usagef("say which message: quinte %s ID", cmd)
	}
	return rest[0], nil
}

// ls is `quinte ls`: one page of messages, newest first.
func (c *cli) ls(args []string) error {
	fs := c.flags("ls")
	var o client.ListOptions
	fs.StringVar(&o.Status, "status", "", "only this status: queued, processing, ready or failed")
	fs.StringVar(&o.Review, "review", "", "only this review state (servers with review)")
	fs.IntVar(&o.Limit, "limit", 20, "messages on the page (at most 100)")
	fs.StringVar(&o.Before, "before", "", "the page after this id (the previous page's next_before)")
	rest, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("quinte ls takes no arguments, only flags")
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	p, err := cl.List(c.ctx, o)
	if err != nil {
		return err
	}
	return c.out(p, func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATUS\tREVIEW\tKIND\tCREATED\tARTIST\tTITLE")
		for _, m := range p.Messages {
			review := "-"
			if m.Review != nil {
				review = string(m.Review.State)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Status, review, m.Kind, m.CreatedAt.Local().Format("2006-01-02 15:04"), m.Artist, m.Title)
		}
		tw.Flush()
		if p.NextBefore != "" {
			c.note("more: quinte ls --before %s", p.NextBefore)
		}
	})
}

// fetched is one file `quinte fetch` wrote.
type fetched struct {
	Name string `json:"name"`
	Role string `json:"role"`
	Path string `json:"path"`
	Size int64  `json:"size"`
}

// fetch is `quinte fetch ID`: downloads the message's outputs (all, or those --only names) into DIR.
func (c *cli) fetch(args []string) error {
	fs := c.flags("fetch")
	out := fs.String("out", "", "the folder to write into (default quinte-ID)")
	only := fs.String("only", "", "only these outputs: roles (crops, posters, renditions, thumbnails, previews, storyboards, captions, images, audiograms) or names (crop/9x16), separated by , or |")
	wait := fs.Bool("wait", false, "wait until the message is ready")
	parallel := fs.Int("parallel", 3, "files downloaded at once")
	rest, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	id, err := oneID(rest, "fetch")
	if err != nil {
		return err
	}
	if *parallel < 1 {
		return usagef("--parallel must be at least 1")
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	m, err := c.ready(cl, id, *wait)
	if err != nil {
		return err
	}
	var want []message.Output
	for _, o := range m.Outputs {
		if o.Role != message.RoleHLS && selected(o, *only) { // HLS is played from its link, not fetched
			want = append(want, o)
		}
	}
	if len(want) == 0 {
		return &codedError{exitNotFound, "no_outputs", fmt.Errorf("message %s has no outputs matching --only %q", id, *only)}
	}
	dir := *out
	if dir == "" {
		dir = "quinte-" + m.ID
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}

	bs := c.bars()
	files := make([]fetched, len(want))
	errs := make([]error, len(want))
	sem := make(chan struct{}, *parallel)
	var wg sync.WaitGroup
	used := map[string]bool{}
	for i, o := range want {
		// The server's name for it (artist-title_9x16.mp4), else one made of the output's name.
		name := safeFileName(o.Filename, "")
		if name == "" || used[name] {
			name = safeFileName(o.Name+outputExt(o), fmt.Sprintf("output-%d", i))
		}
		used[name] = true
		b := bs.bytes(name, o.Size)
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			p := filepath.Join(dir, name)
			n, err := c.download(b, p, func() (io.ReadCloser, int64, error) { return cl.OpenOutput(c.ctx, o.URL) })
			files[i], errs[i] = fetched{Name: o.Name, Role: o.Role, Path: p, Size: n}, err
			if err != nil {
				errs[i] = fmt.Errorf("%s: %w", o.Name, err)
			}
		})
	}
	wg.Wait()
	bs.wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return c.out(map[string]any{"id": m.ID, "files": files}, func(w io.Writer) {
		for _, f := range files {
			fmt.Fprintln(w, f.Path)
		}
	})
}

// selected reports whether --only takes the output: its role (singular or plural) or its name.
func selected(o message.Output, only string) bool {
	if only == "" {
		return true
	}
	for _, w := range strings.FieldsFunc(only, func(r rune) bool { return r == ',' || r == '|' || r == ' ' }) {
		if w == o.Name || w == o.Role || strings.TrimSuffix(w, "s") == o.Role || w == o.Role+"s" {
			return true
		}
	}
	return false
}

// safeFileName makes a name the server gave (an output's, a kit's) a plain file name: path
// separators and control characters become dashes, and a name that would still mean something else
// (empty, ".", "..", hidden) is fallback.
func safeFileName(name, fallback string) string {
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ':' || r < ' ' || r == 0x7f || !utf8.ValidRune(r) || r == utf8.RuneError {
			return '-'
		}
		return r
	}, name)
	if len(name) > 200 {
		name = name[len(name)-200:]
		name = strings.ToValidUTF8(name, "")
	}
	if name == "" || strings.HasPrefix(name, ".") {
		return fallback
	}
	return name
}

// outputExt is the extension of an output's file, from its link's path (the key's), else its type.
func outputExt(o message.Output) string {
	if u, err := url.Parse(o.URL); err == nil {
		if ext := path.Ext(u.Path); ext != "" && len(ext) <= 6 {
			return ext
		}
	}
	switch o.ContentType {
	case "video/mp4":
		return ".mp4"
	case "image/jpeg":
		return ".jpg"
	case "image/webp":
		return ".webp"
	case "text/vtt":
		return ".vtt"
	}
	return ""
}

// download writes what open opens to p (a temporary file renamed at the end, so a cut leaves no
// half file under the name), moving b; "-" is stdout.
func (c *cli) download(b *bar, p string, open func() (io.ReadCloser, int64, error)) (int64, error) {
	body, size, err := open()
	if err != nil {
		b.done(false)
		return 0, err
	}
	defer body.Close()
	if size > 0 {
		b.total(size)
	}
	var n int64
	counted := &countingWriter{seen: func(k int64) { n += k; b.set(n) }}
	if p == "-" {
		_, err = io.Copy(io.MultiWriter(c.stdout, counted), body)
		b.done(err == nil)
		return n, err
	}
	f, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".*")
	if err != nil {
		b.done(false)
		return 0, err
	}
	defer os.Remove(f.Name())
	_, err = io.Copy(io.MultiWriter(f, counted), body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	b.done(err == nil)
	return n, err
}

type countingWriter struct{ seen func(int64) }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.seen(int64(len(p)))
	return len(p), nil
}

// kit is `quinte kit ID`: the message's kit, a zip the server streams.
func (c *cli) kit(args []string) error {
	fs := c.flags("kit")
	out := fs.String("out", "", "the file to write, or a folder to write it in under the server's name for it (such as ada_thank-you_kit.zip; default the current folder); - for stdout")
	wait := fs.Bool("wait", false, "wait until the message is ready")
	rest, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	id, err := oneID(rest, "kit")
	if err != nil {
		return err
	}
	cl, err := c.client()
	if err != nil {
		return err
	}
	if *wait {
		if _, err := c.ready(cl, id, true); err != nil {
			return err
		}
	}
	body, size, name, err := cl.Kit(c.ctx, id)
	if err != nil {
		return err
	}
	name = safeFileName(name, "quinte-"+safeFileName(id, "message")+"-kit.zip")
	p := *out
	if st, err := os.Stat(p); p == "" || (err == nil && st.IsDir()) {
		p = filepath.Join(p, name) // the server's name for it: artist_title_kit.zip
	}
	bs := c.bars()
	n, err := c.download(bs.bytes(filepath.Base(p), 0), p, func() (io.ReadCloser, int64, error) { return body, size, nil })
	bs.wait()
	if err != nil {
		return err
	}
	if p == "-" {
		return nil
	}
	return c.out(map[string]any{"id": id, "path": p, "size": n}, func(w io.Writer) { fmt.Fprintln(w, p) })
}
