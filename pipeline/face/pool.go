package face

import (
	"context"
	"errors"
	"image"
	"sync"
)

// Pool lends detectors to goroutines, creating them on first need up to Size, so a worker pays the
// ~180 ms creation once per detector rather than once per job. It is safe for concurrent use.
type Pool struct {
	size int
	free chan *Detector

	mu      sync.Mutex
	made    int
	all     []*Detector
	closed  bool
	newFunc func() (*Detector, error)
}

// NewPool returns a pool of at most size detectors (at least 1).
func NewPool(size int) *Pool {
	size = max(1, size)
	return &Pool{size: size, free: make(chan *Detector, size), newFunc: NewDetector}
}

// Size is the most detectors the pool will hold, which is also how many frames it can search at once.
func (p *Pool) Size() int { return p.size }

// ErrClosed is returned by a pool used after Close.
var ErrClosed = errors.New("face detector pool is closed")

// Detect borrows a detector, runs it on g and gives it back.
func (p *Pool) Detect(ctx context.Context, g *image.Gray, zoom Zoom) ([]Box, error) {
	d, err := p.get(ctx)
	if err != nil {
		return nil, err
	}
	defer p.put(d)
	return d.Detect(g, zoom)
}

func (p *Pool) get(ctx context.Context) (*Detector, error) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	select {
	case d := <-p.free:
		return d, nil
	default:
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	if p.made < p.size {
		p.made++
		p.mu.Unlock()
		d, err := p.newFunc()
		p.mu.Lock()
		defer p.mu.Unlock()
		if err != nil {
			p.made--
			return nil, err
		}
		p.all = append(p.all, d)
		return d, nil
	}
	p.mu.Unlock()
	select {
	case d := <-p.free:
		return d, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *Pool) put(d *Detector) { p.free <- d }

// Close frees every detector. Detectors still lent out are freed too, so call it only when no Detect
// is running (at worker shutdown).
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	for _, d := range p.all {
		d.Close()
	}
}
