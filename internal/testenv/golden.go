package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

// Golden compares got with the file dir/name, or rewrites it when update is set (each package's
// -update flag). A difference fails the test with both versions.
func Golden(t testing.TB, dir, name string, got []byte, update bool) {
	t.Helper()
	path := filepath.Join(dir, name)
	if update {
		Must(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if string(want) != string(got) {
		t.Errorf("%s differs from the golden file (run with -update if the change is meant):\n--- want\n%s\n--- got\n%s", name, want, got)
	}
}
