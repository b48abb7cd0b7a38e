package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed assets
var assetFiles embed.FS

// AssetsPrefix is where the assets are served.
const AssetsPrefix = "/assets/"

// asset is one embedded file under the name it is served by: its stem, the first 10 hex digits of its
// SHA-256, its extension (app.1a2b3c4d5e.js). A new build changes the name of what changed, so the
// files can be cached for a year and a phone never mixes an old script with a new page.
type asset struct {
	name  string // versioned
	body  []byte
	gz    []byte // body gzipped, sent to every browser that takes it
	ctype string
}

type assetSet struct {
	byName map[string]*asset // by versioned name
	byFile map[string]*asset // by file name (app.js)
}

func loadAssets() (*assetSet, error) {
	set := &assetSet{byName: map[string]*asset{}, byFile: map[string]*asset{}}
	err := fs.WalkDir(assetFiles, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assetFiles.ReadFile(p)
		if err != nil {
			return err
		}
		set.add(path.Base(p), b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web assets: %w", err)
	}
	// The strings of every language, for the page's script: one file, so switching needs no request.
	b, err := catalogueJSON()
	if err != nil {
		return nil, err
	}
	set.add("i18n.json", b)
	return set, nil
}

func (s *assetSet) add(file string, b []byte) {
	sum := sha256.Sum256(b)
	ext := path.Ext(file)
	a := &asset{name: strings.TrimSuffix(file, ext) + "." + hex.EncodeToString(sum[:])[:10] + ext, body: b,
		ctype: mime.TypeByExtension(ext)}
	if a.ctype == "" {
		a.ctype = "application/octet-stream"
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	a.gz = gz.Bytes()
	s.byName[a.name] = a
	s.byFile[file] = a
}

// URL is the path a page links file (app.js) by.
func (s *assetSet) URL(file string) string {
	a, ok := s.byFile[file]
	if !ok {
		panic("web: no asset " + file) // a template names a file that is not embedded: a test catches it
	}
	return AssetsPrefix + a.name
}

// Assets handles GET /assets/{file...}: only versioned names, cached for a year.
func (p *Pages) Assets(w http.ResponseWriter, r *http.Request) {
	a, ok := p.assets.byName[r.PathValue("file")]
	if !ok {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Vary", "Accept-Encoding")
	if acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Length", strconv.Itoa(len(a.gz)))
		if r.Method != http.MethodHead {
			_, _ = w.Write(a.gz)
		}
		return
	}
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
}

// acceptsGzip reports whether the request takes gzip (every browser does).
func acceptsGzip(r *http.Request) bool {
	for _, e := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, q, _ := strings.Cut(strings.TrimSpace(e), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
