package brand

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/quinte-media/quinte/message"
)

// Catalogue is every campaign a process knows, by name: the name of its file without ".yaml"
// (configs/campaigns/example.yaml is the campaign "example"). A nil Catalogue knows none.
type Catalogue struct {
	byName map[string]Config
}

// LoadCatalogue reads every *.yaml of base (the campaigns built into the binary), then of dir when it is
// not empty (a directory on disk, whose files add campaigns or replace built-in ones of the same name).
// A file that does not parse, or whose name uploads could not give (message.ValidCampaign), stops the
// load with a message that names it.
func LoadCatalogue(base fs.FS, dir string) (*Catalogue, error) {
	c := &Catalogue{byName: map[string]Config{}}
	if base != nil {
		if err := c.add(base, "built-in campaign"); err != nil {
			return nil, err
		}
	}
	if dir != "" {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("campaigns directory %s: not a directory (QUINTE_CAMPAIGNS_DIR)", dir)
		}
		if err := c.add(os.DirFS(dir), "campaign "+dir+"/"); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Catalogue) add(fsys fs.FS, where string) error {
	files, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".yaml")
		if !message.ValidCampaign(name) {
			errs = append(errs, fmt.Errorf("%s%s: the file name must be a campaign name (a-z, 0-9 and inner dashes, at most 64 characters)", where, f))
			continue
		}
		b, err := fs.ReadFile(fsys, f)
		if err == nil {
			var cfg Config
			if cfg, err = Parse(b); err == nil {
				c.byName[name] = cfg
				continue
			}
		}
		errs = append(errs, fmt.Errorf("%s%s: %w", where, f, err))
	}
	return errors.Join(errs...)
}

// Get is the campaign called name.
func (c *Catalogue) Get(name string) (Config, bool) {
	if c == nil {
		return Config{}, false
	}
	cfg, ok := c.byName[name]
	return cfg, ok
}

// Has reports whether a campaign called name exists.
func (c *Catalogue) Has(name string) bool {
	_, ok := c.Get(name)
	return ok
}

// Names lists the campaigns, sorted.
func (c *Catalogue) Names() []string {
	if c == nil {
		return nil
	}
	names := make([]string, 0, len(c.byName))
	for n := range c.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
