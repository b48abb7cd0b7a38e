package message_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/quinte-media/quinte/internal/testenv"
	"github.com/quinte-media/quinte/message"
	"github.com/quinte-media/quinte/storage"
)

// TestConcurrentUpdatesLoseNothing: the API and the worker write one status record at the same time,
// each through its own S3 client, many goroutines on each side; every change lands: each side's
// counter counts every one of its updates, every appended warning is there, and the fields set by one
// side survive the other's writes. Against a standalone versitygw and the one `quinte run` embeds.
func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	backends := map[string]func(t *testing.T) storage.Config{
		"versitygw": func(t *testing.T) storage.Config { _, cfg := testenv.S3(t); return cfg },
		"embedded": func(t *testing.T) storage.Config {
			e, err := storage.StartEmbedded(context.Background(), t.TempDir(), "127.0.0.1:0")
			testenv.Must(t, err)
			t.Cleanup(func() { e.Close() })
			return storage.Config{Endpoint: e.Endpoint, AccessKey: e.AccessKey, SecretKey: e.SecretKey, Bucket: "quinte-test", Region: "us-east-1"}
		},
	}
	for name, start := range backends {
		t.Run(name, func(t *testing.T) {
			cfg := start(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			client := func() message.States {
				st, err := storage.New(cfg)
				testenv.Must(t, err)
				t.Cleanup(func() { st.Close() }) // before the server stops: no idle connection holds it up
				return message.States{Store: st}
			}
			api, worker := client(), client()
			testenv.Must(t, api.Store.(*storage.Store).EnsureBucket(ctx))

			const goroutines, each = 6, 5
			for _, created := range []bool{true, false} { // false: the first writers create the record
				id := message.NewID()
				if created {
					if _, err := api.Create(ctx, id, message.KindVideo); err != nil {
						t.Fatal(err)
					}
				}
				var wg sync.WaitGroup
				for side, s := range map[string]message.States{"api": api, "worker": worker} {
					for g := range goroutines {
						wg.Add(1)
						go func() {
							defer wg.Done()
							for i := range each {
								warning := fmt.Sprintf("%s %d.%d", side, g, i)
								_, err := s.Update(ctx, id, func(r *message.Record) {
									r.Warnings = append(r.Warnings, warning)
									if side == "api" {
										r.Crashes++ // a counter only the API side moves
										r.Note = "set by the api"
									} else {
										r.Attempts++ // one only the worker moves
										r.Running = "set by the worker"
									}
								})
								if err != nil {
									t.Errorf("%s: %v", warning, err)
								}
							}
						}()
					}
				}
				wg.Wait()
				rec, err := worker.Get(ctx, id)
				testenv.Must(t, err)
				want := goroutines * each
				if rec.Crashes != want || rec.Attempts != want {
					t.Errorf("created=%v: the API's counter is %d and the worker's %d, want %d each: updates were lost", created, rec.Crashes, rec.Attempts, want)
				}
				if rec.Note != "set by the api" || rec.Running != "set by the worker" || rec.ID != id {
					t.Errorf("created=%v: note %q, running %q, id %q: one side's field was lost", created, rec.Note, rec.Running, rec.ID)
				}
				var missing []string
				for _, side := range []string{"api", "worker"} {
					for g := range goroutines {
						for i := range each {
							if w := fmt.Sprintf("%s %d.%d", side, g, i); !slices.Contains(rec.Warnings, w) {
								missing = append(missing, w)
							}
						}
					}
				}
				if len(missing) > 0 || len(rec.Warnings) != 2*want {
					t.Errorf("created=%v: %d warnings, want %d; missing %v", created, len(rec.Warnings), 2*want, missing)
				}
			}

			// Create never overwrites: the second create leaves the record as it was and says so.
			id := message.NewID()
			if _, err := api.Create(ctx, id, message.KindVideo); err != nil {
				t.Fatal(err)
			}
			if _, err := worker.Update(ctx, id, func(r *message.Record) { r.Status = message.StatusProcessing }); err != nil {
				t.Fatal(err)
			}
			rec, err := worker.Create(ctx, id, message.KindVideo)
			if !errors.Is(err, message.ErrExists) || rec.Status != message.StatusProcessing {
				t.Errorf("create over a record: %v, status %q; want ErrExists and the stored record", err, rec.Status)
			}
			if got, _ := api.Get(ctx, id); got.Status != message.StatusProcessing {
				t.Errorf("create over a record overwrote it: status %q", got.Status)
			}
		})
	}
}
