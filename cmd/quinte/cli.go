package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/mattn/go-isatty"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/quinte-media/quinte/client"
)

// The CLI: `quinte upload`, `status`, `ls`, `fetch`, `kit` and `invite create` call a quinte server
// over its API (package client) with a URL and a token from --server/--token or QUINTE_SERVER and
// QUINTE_TOKEN. What a script needs: --json (the server's answers on stdout, errors as JSON on stderr,
// no progress bars) and exit codes that tell failures apart (cliExit). Progress bars are drawn only
// when stderr is a terminal.

// Exit codes of the CLI (documented in the README and `quinte help`).
const (
	exitOK          = 0
	exitError       = 1   // anything else: a local file could not be read or written
	exitUsage       = 2   // the command line is wrong
	exitAuth        = 3   // no token, or the server refused it (401, 403)
	exitNotFound    = 4   // no such message or invite (404)
	exitServer      = 5   // the server or the network failed (5xx, connection refused, timeout)
	exitFailed      = 6   // the message failed (its error says why)
	exitRefused     = 7   // the server refused the request (another 4xx: not media, too large, bad captions…)
	exitNotReady    = 8   // the message is not ready yet (fetch, kit without --wait)
	exitInterrupted = 130 // interrupted (Ctrl-C); an upload resumes when the same command runs again
)

// cliCommands are the CLI's subcommands.
var cliCommands = map[string]func(*cli, []string) error{
	"upload": (*cli).upload,
	"status": (*cli).status,
	"ls":     (*cli).ls,
	"fetch":  (*cli).fetch,
	"kit":    (*cli).kit,
	"invite": (*cli).invite,
}

// isCLICommand reports whether `quinte NAME` is a CLI command rather than a role.
func isCLICommand(name string) bool {
	_, ok := cliCommands[name]
	return ok || name == "help"
}

// cliArgs tells a CLI command line from a role's: the first word that is not a flag (or a flag's
// value) names the command. Flags given before the command (`quinte --json ls`) are moved after it.
func cliArgs(args []string) ([]string, bool) {
	takesValue := map[string]bool{"server": true, "token": true, "config": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			if !isCLICommand(a) {
				return nil, false
			}
			return append(append([]string{a}, args[:i]...), args[i+1:]...), true
		}
		if name := strings.TrimLeft(a, "-"); takesValue[name] {
			i++ // its value
		}
	}
	return nil, false
}

const cliUsage = `usage: quinte COMMAND [flags] [args]   (against a quinte server)

  upload FILE…  [--artist A] [--title T] [--campaign C] [--consent TEXT] [--captions FILE]
                [--agree-release LANG] [--parallel N] [--chunk-size BYTES]
                resumable (tus) uploads, several at once; prints each message id. An interrupted
                upload resumes when the same command runs again.
  status ID     [--wait] [--every 1s]   a message's status; --wait until ready or failed
  ls            [--status S] [--review R] [--limit N] [--before ID]   messages, newest first
  fetch ID      [--out DIR] [--only crops,posters,renditions,…] [--wait]   download its outputs
  kit ID        [--out FILE] [--wait]   download its kit (a zip)
  invite create [--label L] [--uploads N] [--expires 72h] [--prompt P]… [--max-seconds N] [--no-qr]
                an artist's invite: prints its link and a QR code

every command: --server URL (QUINTE_SERVER), --token T (QUINTE_TOKEN), --json

exit codes: 0 ok, 1 other error (a local file), 2 usage, 3 auth (401/403), 4 not found,
            5 server or network error, 6 message failed, 7 request refused (other 4xx),
            8 message not ready yet, 130 interrupted
`

// cli is one run of a CLI command.
type cli struct {
	ctx            context.Context
	getenv         func(string) string
	stdout, stderr io.Writer
	json           bool
	server, token  string
	tty            bool // stderr is a terminal: progress bars
}

// usageError is a wrong command line.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// exitError carries an exit code of its own (a failed message, one not ready yet).
type codedError struct {
	code int
	kind string // the JSON error's code
	err  error
}

func (e *codedError) Error() string { return e.err.Error() }
func (e *codedError) Unwrap() error { return e.err }

// runCLI runs one CLI command and returns its exit code.
func runCLI(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c := &cli{ctx: ctx, getenv: getenv, stdout: stdout, stderr: stderr}
	if f, ok := stderr.(*os.File); ok {
		c.tty = isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, cliUsage)
		return exitOK
	}
	// Known before the flags are parsed, so that a wrong flag is reported as JSON too.
	c.json = slices.ContainsFunc(args, func(a string) bool { return a == "--json" || a == "-json" || a == "--json=true" })
	cmd := cliCommands[args[0]]
	if cmd == nil {
		fmt.Fprint(stderr, cliUsage)
		return exitUsage
	}
	err := cmd(c, args[1:])
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	code := cliExit(ctx, err)
	c.reportError(err, code)
	return code
}

// cliExit is the exit code for err.
func cliExit(ctx context.Context, err error) int {
	var ue usageError
	var ce *codedError
	var ae *client.Error
	var ue2 *url.Error
	var ne net.Error
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.As(err, &ce):
		return ce.code
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		return exitInterrupted
	case errors.As(err, &ae):
		switch {
		case ae.Status == http.StatusUnauthorized || ae.Status == http.StatusForbidden:
			return exitAuth
		case ae.Status == http.StatusNotFound:
			return exitNotFound
		case ae.Status >= 500:
			return exitServer
		}
		return exitRefused
	case errors.As(err, &ue2), errors.As(err, &ne):
		return exitServer
	}
	return exitError
}

// reportError writes err to stderr: a line, or with --json {"error": {code, message, status, exit}}.
func (c *cli) reportError(err error, code int) {
	if !c.json {
		msg := err.Error()
		switch code {
		case exitUsage:
			msg += "\n(quinte help lists the commands and their flags)"
		case exitInterrupted:
			msg = "interrupted: " + msg
		}
		fmt.Fprintln(c.stderr, "quinte:", msg)
		return
	}
	e := map[string]any{"message": err.Error(), "exit": code}
	var ae *client.Error
	var ce *codedError
	switch {
	case errors.As(err, &ce):
		e["code"] = ce.kind
	case errors.As(err, &ae):
		e["code"], e["status"], e["message"] = ae.Code, ae.Status, ae.Message
	case code == exitUsage:
		e["code"] = "usage"
	case code == exitInterrupted:
		e["code"] = "interrupted"
	case code == exitServer:
		e["code"] = "network"
	default:
		e["code"] = "error"
	}
	_ = json.NewEncoder(c.stderr).Encode(map[string]any{"error": e})
}

// flags is a command's flag set with the flags every command has.
func (c *cli) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("quinte "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse reports errors itself (as JSON with --json)
	fs.StringVar(&c.server, "server", c.getenv("QUINTE_SERVER"), "the quinte server's URL (QUINTE_SERVER)")
	fs.StringVar(&c.token, "token", c.getenv("QUINTE_TOKEN"), "the team token or an invite token (QUINTE_TOKEN)")
	fs.BoolVar(&c.json, "json", c.json, "machine-readable output on stdout, errors as JSON on stderr, no progress bars")
	return fs
}

// parse reads flags and arguments in any order (`quinte upload a.mp4 --title x b.mp4`); -h prints
// the command's flags.
func (c *cli) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(c.stdout)
				fmt.Fprintf(c.stdout, "usage of %s:\n", fs.Name())
				fs.PrintDefaults()
				return nil, err
			}
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, nil
		}
		if args[0] == "--" {
			return append(rest, args[1:]...), nil
		}
		rest, args = append(rest, args[0]), args[1:]
	}
}

// client is the API client for --server and --token.
func (c *cli) client() (*client.Client, error) {
	if c.server == "" {
		return nil, usagef("say which server: --server URL or QUINTE_SERVER (such as http://127.0.0.1:8080)")
	}
	u, err := url.Parse(c.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--server %q is not a URL such as https://media.example.org", c.server)
	}
	if c.token == "" {
		return nil, &codedError{exitAuth, "no_token", errors.New("no token: --token or QUINTE_TOKEN (the team token, or an invite token)")}
	}
	return client.New(c.server, c.token), nil
}

// out writes the command's result: v as JSON with --json, else the text.
func (c *cli) out(v any, text func(w io.Writer)) error {
	if c.json {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	}
	text(c.stdout)
	return nil
}

// note is a line for the person at the terminal (stderr; nothing with --json).
func (c *cli) note(format string, a ...any) {
	if !c.json {
		fmt.Fprintf(c.stderr, format+"\n", a...)
	}
}

// bars draws progress bars on stderr when it is a terminal and --json is off; otherwise its bars do
// nothing.
type bars struct {
	p  *mpb.Progress
	mu sync.Mutex
}

func (c *cli) bars() *bars {
	if !c.tty || c.json {
		return &bars{}
	}
	return &bars{p: mpb.NewWithContext(c.ctx, mpb.WithOutput(c.stderr), mpb.WithWidth(40), mpb.WithAutoRefresh())}
}

// bar is one progress bar; a nil bar does nothing.
type bar struct{ b *mpb.Bar }

// bytes adds a bar counting bytes towards total (0: not known yet).
func (bs *bars) bytes(name string, total int64) *bar {
	if bs.p == nil {
		return nil
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	return &bar{bs.p.AddBar(total,
		mpb.PrependDecorators(decor.Name(shorten(name, 28), decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.CountersKibiByte("% .1f / % .1f", decor.WCSyncSpace),
			decor.OnComplete(decor.Percentage(decor.WCSyncSpace), "done"),
			decor.OnComplete(decor.EwmaSpeed(decor.SizeB1024(0), "% .1f", 30, decor.WCSyncSpace), ""),
		))}
}

// stage adds a bar showing a message's processing: the stage's name (from label) and its percent.
func (bs *bars) stage(name string, label func() string) *bar {
	if bs.p == nil {
		return nil
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	return &bar{bs.p.AddBar(100,
		mpb.PrependDecorators(decor.Name(shorten(name, 28), decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return label() }, decor.WCSyncSpace)))}
}

func (b *bar) set(n int64) {
	if b != nil {
		b.b.SetCurrent(n)
	}
}

func (b *bar) total(n int64) {
	if b != nil {
		b.b.SetTotal(n, false)
	}
}

// done completes the bar (ok) or takes it down.
func (b *bar) done(ok bool) {
	if b == nil {
		return
	}
	if ok {
		b.b.SetTotal(-1, true)
	} else {
		b.b.Abort(false)
	}
}

// wait lets the bars draw their last state.
func (bs *bars) wait() {
	if bs.p != nil {
		bs.p.Wait()
	}
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return "…" + string(r[len(r)-n+1:])
}

// parseSize reads a byte count: 1048576, 512KiB, 8MiB, 5MB.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"kB", 1000}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSuffix(s, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size such as 8MiB", s)
	}
	return n * mult, nil
}
