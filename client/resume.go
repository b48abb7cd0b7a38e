package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Resumes remembers the URL of each unfinished upload in a JSON file (the CLI keeps it in the user's
// cache dir), so that running the same upload again goes on where it stopped. An entry is keyed by the
// server and the file (absolute path, size, modification time: a changed file starts over) and removed
// once the upload is done. The file is rewritten whole (to a temporary file, then renamed) under a
// lock on each change; a write that fails only costs the resume.
type Resumes struct {
	Path string
	mu   sync.Mutex
}

// resumeMaxAge is how long an entry is kept: a server removes unfinished uploads long before.
const resumeMaxAge = 30 * 24 * time.Hour

type resumeEntry struct {
	URL     string    `json:"url"`
	Created time.Time `json:"created"`
}

// ResumeKey names a file's upload to a server.
func ResumeKey(server, absPath string, size int64, mod time.Time) string {
	return fmt.Sprintf("%s %s %d %d", server, absPath, size, mod.UnixNano())
}

// Get returns the upload URL remembered for key.
func (r *Resumes) Get(key string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	e, ok := r.read()[key]
	return e.URL, ok
}

// Put remembers key's upload URL.
func (r *Resumes) Put(key, url string) {
	r.change(func(m map[string]resumeEntry) { m[key] = resumeEntry{URL: url, Created: time.Now().UTC()} })
}

// Delete forgets key.
func (r *Resumes) Delete(key string) {
	r.change(func(m map[string]resumeEntry) { delete(m, key) })
}

// Len is the number of uploads remembered.
func (r *Resumes) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.read())
}

func (r *Resumes) change(f func(map[string]resumeEntry)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	unlock := lockFile(r.Path + ".lock")
	defer unlock()
	m := r.read()
	f(m)
	for k, e := range m {
		if time.Since(e.Created) > resumeMaxAge {
			delete(m, k)
		}
	}
	_ = r.write(m)
}

func (r *Resumes) read() map[string]resumeEntry {
	m := map[string]resumeEntry{}
	b, err := os.ReadFile(r.Path)
	if err == nil {
		_ = json.Unmarshal(b, &m) // a damaged file is started again
	}
	return m
}

func (r *Resumes) write(m map[string]resumeEntry) error {
	if err := os.MkdirAll(filepath.Dir(r.Path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(r.Path), ".uploads-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), r.Path)
}

// lockFile holds a lock file between processes (two uploads started at once from two shells) for at
// most a few seconds: a lock left by a killed process is taken over after that.
func lockFile(path string) (unlock func()) {
	_ = os.MkdirAll(filepath.Dir(path), 0o700)
	deadline := time.Now().Add(3 * time.Second)
	for {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return func() { _ = os.Remove(path) }
		}
		if !errors.Is(err, fs.ErrExist) || time.Now().After(deadline) {
			return func() {}
		}
		if st, err := os.Stat(path); err == nil && time.Since(st.ModTime()) > 10*time.Second {
			_ = os.Remove(path) // left by a process that died holding it
			continue
		}
		time.Sleep(20 * time.Millisecond)
	}
}
