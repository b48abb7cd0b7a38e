package uploader

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/quinte-media/quinte/internal/httpapi"
	"github.com/quinte-media/quinte/library"
)

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPIYAML)
	if err != nil {
		t.Fatalf("openapi.yaml does not load: %v", err)
	}
	return doc
}

// The description is a valid OpenAPI 3 document, examples included, and what is served is the same
// document as JSON.
func TestOpenAPIValidates(t *testing.T) {
	doc := loadOpenAPI(t)
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("openapi.yaml is not valid OpenAPI 3: %v", err)
	}
	b, err := openAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	served, err := openapi3.NewLoader().LoadFromData(b)
	if err != nil {
		t.Fatalf("the served JSON does not load: %v", err)
	}
	if len(served.Paths.Map()) != len(doc.Paths.Map()) || served.Info.Title != doc.Info.Title {
		t.Errorf("the served JSON has %d paths, the YAML %d", len(served.Paths.Map()), len(doc.Paths.Map()))
	}
}

// openAPIContracts are routes described before they are served: other branches are adding them. The
// description may hold them; once the route table has them, they are checked like every route.
var openAPIContracts = []string{
	"POST /v1/messages/{id}/review", "GET /v1/messages/{id}/kit", "POST /v1/messages/{id}/revoke", "GET /v1/release",
}

// Every route of the API in the route table (/v1/…, the health checks) is described, with each method
// it answers, and the description holds no route the table lacks (but the contracts above). The pages
// for people (/a/, /assets/, /team) answer HTML and are not described.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s := New(Config{MaxBytes: 1 << 20}, nil, nil, log)
	if err := s.EnableTus(nil, "bucket"); err != nil {
		t.Fatal(err)
	}
	// The whole API, as cmd/quinte mounts it: the health checks, intake and the read side.
	routes := append(httpapi.HealthRoutes(nil, nil), s.Routes()...)
	routes = append(routes, library.New(library.Config{}, "team-token", nil, nil, log).Routes()...)
	described := map[string]bool{} // "METHOD /path/{}" of the document
	normalise := regexp.MustCompile(`\{[^}]*\}`)
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			described[method+" "+normalise.ReplaceAllString(path, "{}")] = true
		}
	}
	served := map[string]bool{}
	for _, p := range httpapi.Patterns(routes) {
		method, path, ok := strings.Cut(p, " ")
		if ok && !strings.HasPrefix(path, "/v1/") && path != "/healthz" && path != "/readyz" {
			t.Logf("%s is a page for people (HTML), not the API: not described", p)
			continue
		}
		var want []string
		if !ok { // tus: creation on the prefix, the rest on an upload
			want = []string{"POST " + p}
			for _, m := range []string{"HEAD", "PATCH", "DELETE"} {
				want = append(want, m+" "+p+"{}")
			}
		} else {
			want = []string{method + " " + normalise.ReplaceAllString(path, "{}")}
		}
		for _, w := range want {
			served[w] = true
			if !described[w] {
				t.Errorf("route %q is not in uploader/openapi.yaml (%s): describe it, its parameters and its errors", p, w)
			}
		}
	}
	for _, c := range openAPIContracts {
		m, p, _ := strings.Cut(c, " ")
		served[m+" "+normalise.ReplaceAllString(p, "{}")] = true
	}
	for d := range described {
		if !served[d] {
			t.Errorf("openapi.yaml describes %s, which the route table does not have", d)
		}
	}
}

// Every error code the API answers (errorf here, in library and in internal/httpapi; tusd errors made
// here) is listed in Error's x-codes.
func TestOpenAPIListsEveryErrorCode(t *testing.T) {
	doc := loadOpenAPI(t)
	var listed []string
	raw, ok := doc.Components.Schemas["Error"].Value.Extensions["x-codes"]
	if ok {
		b, _ := json.Marshal(raw)
		_ = json.Unmarshal(b, &listed)
	}
	if len(listed) == 0 {
		t.Fatal("Error has no x-codes")
	}
	var files []string
	for _, dir := range []string{".", "../library", "../internal/httpapi"} {
		fs, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fs...)
	}
	codes := regexp.MustCompile(`[eE]rrorf\([^,()]+(?:\([^)]*\))?,\s*"([a-z0-9_]+)"|NewError\("ERR_([A-Z0-9_]+)"`)
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range codes.FindAllStringSubmatch(string(b), -1) {
			code := m[1]
			if code == "" {
				code = strings.ToLower(m[2])
			}
			found++
			if !slices.Contains(listed, code) {
				t.Errorf("%s answers error code %q, which openapi.yaml's Error x-codes does not list (add it there, and to the responses of its routes)", f, code)
			}
		}
	}
	if found < 40 {
		t.Errorf("found only %d error codes in the source: is the pattern still right?", found)
	}
}
