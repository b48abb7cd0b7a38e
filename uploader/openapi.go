package uploader

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"gopkg.in/yaml.v3"
)

// OpenAPIYAML is the OpenAPI 3 description of the API, written by hand next to the routes it
// describes; the tests check it against the route table, the error codes in this package and real
// requests and answers (cmd/quinte/openapi_test.go).
//
//go:embed openapi.yaml
var OpenAPIYAML []byte

// openAPIJSON is the description as served: JSON, made once.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(OpenAPIYAML, &doc); err != nil {
		return nil, err
	}
	doc, err := jsonable(doc)
	if err != nil {
		return nil, err
	}
	return json.MarshalIndent(doc, "", "  ")
})

// jsonable turns what YAML decodes into what JSON encodes: map keys as strings (a status code such as
// 200 decodes as a number when it is not quoted).
func jsonable(v any) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			j, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			v[k] = j
		}
		return v, nil
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			j, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(k)] = j
		}
		return m, nil
	case []any:
		for i, e := range v {
			j, err := jsonable(e)
			if err != nil {
				return nil, err
			}
			v[i] = j
		}
	}
	return v, nil
}

// openapi handles GET /v1/openapi.json (public).
func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	b, err := openAPIJSON()
	if err != nil {
		s.log.Error("openapi.yaml does not convert to JSON", "err", err)
		writeError(w, errorf(http.StatusServiceUnavailable, "storage_unavailable", "the API description is not available"))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
}
