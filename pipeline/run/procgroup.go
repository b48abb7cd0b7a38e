package run

import (
	"os/exec"
	"syscall"
)

// KillGroup kills whatever is left of a finished command's process group. os/exec's WaitDelay kills
// only the process it started, so a helper that the tool forked (or a tool deaf to SIGINT that forked
// one) would otherwise outlive the job. Called once the leader has been waited for; its pid cannot be
// reused as a group id while members of the group remain.
func KillGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
