package worker

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// jobDirPrefix names every job's scratch directory, so the sweeper knows what it may remove.
const jobDirPrefix = "quinte-job-"

// lockName is the file in a job directory that its worker holds an flock on for the whole job. The
// kernel drops the lock when the worker dies, however it dies: a lockable directory is a dead job's.
const lockName = ".lock"

// jobDir is one job's scratch space.
type jobDir struct {
	Path string
	lock *os.File
}

// newJobDir creates and locks a scratch directory under root.
func newJobDir(root, id string) (*jobDir, error) {
	dir, err := os.MkdirTemp(root, jobDirPrefix+id+"-")
	if err != nil {
		return nil, fmt.Errorf("job directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err == nil {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("job directory lock: %w", err)
	}
	return &jobDir{Path: dir, lock: f}, nil
}

// Remove deletes the directory and everything in it, then lets go of the lock.
func (d *jobDir) Remove() error {
	err := os.RemoveAll(d.Path)
	d.lock.Close()
	return err
}

// SweepJobDirs removes the scratch directories of jobs whose worker died (SIGKILL, OOM, power loss)
// and so never ran its cleanup. Directories of live jobs, in this process or another on the same
// machine, are locked and kept. It returns how many it removed.
func SweepJobDirs(root string, log *slog.Logger) int {
	entries, err := os.ReadDir(root)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			log.Warn("sweeping job directories", "dir", root, "err", err)
		}
		return 0
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), jobDirPrefix) {
			continue
		}
		dir := filepath.Join(root, e.Name())
		if !abandoned(dir) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			log.Warn("removing a dead job's directory", "dir", dir, "err", err)
			continue
		}
		n++
	}
	if n > 0 {
		log.Info("removed directories of jobs that died", "count", n, "dir", root)
	}
	return n
}

// abandoned reports whether no live process holds dir's lock. A directory without a lock file is a
// job that died between creating it and locking it, or one being created now: it is left a minute.
func abandoned(dir string) bool {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR, 0)
	if err != nil {
		fi, serr := os.Stat(dir)
		return errors.Is(err, fs.ErrNotExist) && serr == nil && time.Since(fi.ModTime()) > time.Minute
	}
	defer f.Close()
	return syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
