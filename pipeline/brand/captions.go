package brand

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Cue is one caption.
type Cue struct {
	Start time.Duration `json:"start"` // nanoseconds in JSON, exact
	End   time.Duration `json:"end"`
	Text  string        `json:"text"` // one or more lines
}

// Limits of a caption file: captions for a few minutes of speech, not a book.
const (
	MaxCaptionBytes = 512 << 10
	MaxCues         = 5000
)

// ErrCaptions is wrapped by every reason a caption file is refused; the message says what to fix.
var ErrCaptions = errors.New("captions")

var (
	timingRe = regexp.MustCompile(`^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})`)
	tagRe    = regexp.MustCompile(`\{\\[^}]*\}`) // ASS override codes some SRT editors leave
)

// ParseCaptions reads a .srt or .vtt file (UTF-8, optionally with a BOM). Cues must have an end after
// their start; they are returned in time order.
func ParseCaptions(b []byte) ([]Cue, error) {
	if len(b) > MaxCaptionBytes {
		return nil, fmt.Errorf("%w: the file is %d KiB; the limit is %d KiB", ErrCaptions, len(b)>>10, MaxCaptionBytes>>10)
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%w: the file is not UTF-8 text", ErrCaptions)
	}
	text := strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n", "\n"), "\r", "\n")
	vtt := strings.HasPrefix(text, "WEBVTT")
	var cues []Cue
	for _, block := range strings.Split(text, "\n\n") {
		lines := strings.Split(strings.Trim(block, "\n"), "\n")
		i := 0
		for i < len(lines) && !strings.Contains(lines[i], "-->") {
			i++
		}
		if i == len(lines) {
			continue // header, NOTE, STYLE, or a stray number
		}
		m := timingRe.FindStringSubmatch(lines[i])
		if m == nil {
			return nil, fmt.Errorf("%w: cannot read the timing %q", ErrCaptions, lines[i])
		}
		start, err1 := parseTimestamp(m[1])
		end, err2 := parseTimestamp(m[2])
		if err1 != nil || err2 != nil || end <= start {
			return nil, fmt.Errorf("%w: the timing %q is not a start before an end", ErrCaptions, lines[i])
		}
		var txt []string
		for _, l := range lines[i+1:] {
			if l = strings.TrimSpace(tagRe.ReplaceAllString(l, "")); l != "" {
				txt = append(txt, l)
			}
		}
		if len(txt) == 0 {
			continue
		}
		cues = append(cues, Cue{Start: start, End: end, Text: strings.Join(txt, "\n")})
		if len(cues) > MaxCues {
			return nil, fmt.Errorf("%w: more than %d captions", ErrCaptions, MaxCues)
		}
	}
	if len(cues) == 0 {
		kind := "SRT"
		if vtt {
			kind = "WebVTT"
		}
		return nil, fmt.Errorf("%w: no caption found in this %s file", ErrCaptions, kind)
	}
	sortCues(cues)
	return cues, nil
}

func sortCues(c []Cue) {
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && c[j].Start < c[j-1].Start; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
}

// parseTimestamp reads [hh:]mm:ss.mmm (or ,mmm).
func parseTimestamp(s string) (time.Duration, error) {
	s = strings.ReplaceAll(s, ",", ".")
	parts := strings.Split(s, ":")
	var h, m int
	var sec float64
	var err error
	switch len(parts) {
	case 3:
		if h, err = strconv.Atoi(parts[0]); err != nil {
			return 0, err
		}
		parts = parts[1:]
		fallthrough
	case 2:
		if m, err = strconv.Atoi(parts[0]); err != nil {
			return 0, err
		}
		if sec, err = strconv.ParseFloat(parts[1], 64); err != nil {
			return 0, err
		}
	default:
		return 0, fmt.Errorf("bad timestamp %q", s)
	}
	if m >= 60 || sec >= 60 {
		return 0, fmt.Errorf("bad timestamp %q", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(math.Round(sec*1000))*time.Millisecond, nil
}

// WebVTT writes the cues as a WebVTT file (what caption/vtt publishes).
func WebVTT(cues []Cue) []byte {
	var b strings.Builder
	b.WriteString("WEBVTT\n")
	for _, c := range cues {
		fmt.Fprintf(&b, "\n%s --> %s\n%s\n", stamp(c.Start, '.'), stamp(c.End, '.'), strings.ReplaceAll(c.Text, "-->", "->"))
	}
	return []byte(b.String())
}

func stamp(d time.Duration, sep byte) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d%c%03d", ms/3600000, ms/60000%60, ms/1000%60, sep, ms%1000)
}
