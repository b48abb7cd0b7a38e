package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/quinte-media/quinte/client"
)

// promptFlags is a repeatable --prompt.
type promptFlags []string

func (p *promptFlags) String() string     { return strings.Join(*p, "; ") }
func (p *promptFlags) Set(v string) error { *p = append(*p, v); return nil }

// invite is `quinte invite create`: an artist's invite, printed as its link and a QR code to scan
// from the screen.
func (c *cli) invite(args []string) error {
	if len(args) == 0 || args[0] != "create" {
		return usagef("quinte invite create [--label L] [--uploads N] [--expires 72h] [--prompt P]… [--max-seconds N]")
	}
	fs := c.flags("invite create")
	var r client.InviteRequest
	var prompts promptFlags
	fs.StringVar(&r.Label, "label", "", "the team's note: who it is for")
	fs.IntVar(&r.MaxUploads, "uploads", 0, "how many messages it can upload (server default: 5)")
	fs.StringVar(&r.ExpiresIn, "expires", "", "how long it works, such as 72h (server default: 7 days)")
	fs.Var(&prompts, "prompt", "a prompt shown to the artist (repeat for several)")
	fs.IntVar(&r.MaxSeconds, "max-seconds", 0, "the longest clip it takes, in seconds (servers with the limit)")
	noQR := fs.Bool("no-qr", false, "print the link without the QR code")
	rest, err := c.parse(fs, args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("quinte invite create takes flags only")
	}
	if r.ExpiresIn != "" {
		if _, err := time.ParseDuration(r.ExpiresIn); err != nil {
			return usagef("--expires %q is not a duration such as 72h", r.ExpiresIn)
		}
	}
	if r.MaxUploads < 0 || r.MaxSeconds < 0 {
		return usagef("--uploads and --max-seconds are positive")
	}
	r.Prompts = prompts
	cl, err := c.client()
	if err != nil {
		return err
	}
	inv, err := cl.CreateInvite(c.ctx, r)
	if err != nil {
		return err
	}
	return c.out(inv, func(w io.Writer) {
		label := ""
		if inv.Label != "" {
			label = fmt.Sprintf(" for %q", inv.Label)
		}
		fmt.Fprintf(w, "invite %s%s: %d uploads, until %s\n", inv.ID, label, inv.MaxUploads, inv.ExpiresAt.Local().Format("2006-01-02 15:04 MST"))
		link := inv.URL
		if link == "" {
			fmt.Fprintf(w, "token (shown once; this server gives no link): %s\n", inv.Token)
			link = inv.Token
		} else {
			fmt.Fprintf(w, "link (shown once): %s\n", link)
		}
		if !*noQR {
			if q, err := terminalQR(link); err == nil {
				fmt.Fprint(w, q)
			}
		}
	})
}

// terminalQR draws a QR code of s in half-block characters, two modules a line, with its quiet zone:
// light modules as blocks, for a terminal of light text on a dark background (most), so a phone scans
// it from a laptop's screen.
func terminalQR(s string) (string, error) {
	q, err := qrcode.New(s, qrcode.Medium)
	if err != nil {
		return "", err
	}
	return q.ToSmallString(false), nil
}
