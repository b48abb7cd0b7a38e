package proc

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

func TestTailKeepsTheEnd(t *testing.T) {
	tl := NewTail(40)
	for i := 1; i <= 20; i++ {
		fmt.Fprintf(tl, "line %d\n", i)
	}
	if tl.Lines() != 20 {
		t.Errorf("lines %d, want 20", tl.Lines())
	}
	if got, want := tl.String(), "line 16 | line 17 | line 18 | line 19 | line 20"; got != want {
		t.Errorf("String() = %q", got)
	}
	if len(tl.Raw()) != 40 {
		t.Errorf("kept %d bytes, want 40", len(tl.Raw()))
	}
	tl.Write([]byte("\xff bad utf-8\n"))
	if s := tl.String(); s == "" || s[len(s)-1] != '8' {
		t.Errorf("String() = %q", s)
	}
}

// TestCommandStopsTheGroup: the tool leads a process group of its own, and a helper in that group
// gets SIGINT with it when the context ends.
func TestCommandStopsTheGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// sleep runs in the foreground of the shell, in the tool's group: only a signal to the group
	// reaches it (the shell alone would wait for it for 30 s).
	cmd := Command(ctx, 30*time.Second, "sh", "-c", "sleep 30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pgid, err := syscall.Getpgid(cmd.Process.Pid)
	if err != nil || pgid != cmd.Process.Pid {
		t.Fatalf("process group %d (%v), want its own, %d", pgid, err, cmd.Process.Pid)
	}
	time.Sleep(100 * time.Millisecond) // let sh start sleep
	cancel()
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("Wait: %v, want the tool's exit after SIGINT", err)
	}
	if ws := ee.Sys().(syscall.WaitStatus); !(ws.Signaled() && ws.Signal() == syscall.SIGINT) && ws.ExitStatus() != 130 {
		t.Errorf("the tool ended with %v, not by SIGINT", ws)
	}
}
