package client

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Resumes remembers, forgets, survives a damaged file, and takes over a lock left by a dead process.
func TestResumes(t *testing.T) {
	dir := t.TempDir()
	r := &Resumes{Path: filepath.Join(dir, "quinte", "uploads.json")}
	mod := time.Unix(1700000000, 5)
	k1 := ResumeKey("http://a", "/x/clip.mp4", 10, mod)
	k2 := ResumeKey("http://a", "/x/clip.mp4", 11, mod) // the file changed: another upload
	r.Put(k1, "http://a/v1/uploads/1")
	r.Put(k2, "http://a/v1/uploads/2")
	if u, ok := r.Get(k1); !ok || u != "http://a/v1/uploads/1" || r.Len() != 2 {
		t.Fatalf("Get = %q %v, Len %d", u, ok, r.Len())
	}
	r.Delete(k1)
	if _, ok := (&Resumes{Path: r.Path}).Get(k1); ok || r.Len() != 1 {
		t.Errorf("a deleted entry is still there for another process (Len %d)", r.Len())
	}

	if err := os.WriteFile(r.Path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r.Len() != 0 {
		t.Error("a damaged file is read as entries")
	}
	// A lock left behind 20 s ago by a process that died: taken over, not waited on for ever.
	lock := r.Path + ".lock"
	if err := os.WriteFile(lock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-20 * time.Second)
	if err := os.Chtimes(lock, old, old); err != nil {
		t.Fatal(err)
	}
	r.Put(k1, "http://a/v1/uploads/3")
	if u, _ := r.Get(k1); u != "http://a/v1/uploads/3" {
		t.Errorf("after a stale lock, Get = %q", u)
	}
	if _, err := os.Stat(lock); !os.IsNotExist(err) {
		t.Errorf("the lock is left behind: %v", err)
	}
}

func TestUploadMetadataAndID(t *testing.T) {
	if got := encodeMetadata(map[string]string{"title": "Thank you", "filename": "clip.mp4"}); got != "filename Y2xpcC5tcDQ=,title VGhhbmsgeW91" {
		t.Errorf("encodeMetadata = %q", got)
	}
	if got := uploadID("http://h/v1/uploads/01m8xvbzk891fc26g3yj035s86+ZTQ5YjE2"); got != "01m8xvbzk891fc26g3yj035s86" {
		t.Errorf("uploadID = %q", got)
	}
}
