// Package icc brings pictures to sRGB with Little CMS 2 (Debian liblcms2-dev, through cgo): the
// engine libvips and most image tools use, fuzzed for years, in place of a hand-written subset that
// panicked on malformed profiles. Embedded profiles of any kind lcms2 reads (matrix/TRC RGB such as
// Display P3 and Adobe RGB, LUT-based CMYK press profiles such as U.S. Web Coated SWOP, grey) and
// profiles built from nclx primaries go to lcms2's built-in sRGB, perceptual intent.
//
// It owns the cgo boundary and nothing else: each Transform holds one lcms2 context (with its own
// error text and an allocation budget) and one transform; Close frees both. Transforms are built with
// cmsFLAGS_NOCACHE, so one Transform converts separate rows from several goroutines at once.
package icc

/*
#cgo LDFLAGS: -llcms2
#include <stdlib.h>
#include <string.h>
#include <lcms2.h>
#include <lcms2_plugin.h>

// What one context keeps: lcms2's first error text, and the bytes it holds (a malformed profile
// may claim tables of hundreds of megabytes, which lcms2 allocates before finding the tag too short).
typedef struct {
	char msg[200];
	size_t used, peak, limit;
} qicc_state;

static void qicc_log(cmsContext c, cmsUInt32Number code, const char *text) {
	qicc_state *s = cmsGetContextUserData(c);
	if (s != NULL && s->msg[0] == 0) {
		strncpy(s->msg, text, sizeof s->msg - 1);
	}
}

// Every block carries its size in front, so free and realloc can count it out.
#define QICC_HDR 16

static void *qicc_malloc(cmsContext c, cmsUInt32Number size) {
	qicc_state *s = cmsGetContextUserData(c); // NULL while lcms2 allocates the context itself
	if (s != NULL) {
		size_t used = __atomic_add_fetch(&s->used, size, __ATOMIC_RELAXED);
		if (used > s->limit) {
			__atomic_sub_fetch(&s->used, size, __ATOMIC_RELAXED);
			return NULL;
		}
		if (used > s->peak) s->peak = used;
	}
	char *p = malloc(QICC_HDR + (size_t)size);
	if (p == NULL) {
		if (s != NULL) __atomic_sub_fetch(&s->used, size, __ATOMIC_RELAXED);
		return NULL;
	}
	memcpy(p, &size, sizeof size);
	return p + QICC_HDR;
}

static void qicc_free(cmsContext c, void *ptr) {
	if (ptr == NULL) return;
	char *p = (char *)ptr - QICC_HDR;
	cmsUInt32Number size;
	memcpy(&size, p, sizeof size);
	qicc_state *s = cmsGetContextUserData(c);
	if (s != NULL) __atomic_sub_fetch(&s->used, size, __ATOMIC_RELAXED);
	free(p);
}

static void *qicc_realloc(cmsContext c, void *ptr, cmsUInt32Number size) {
	void *n = qicc_malloc(c, size);
	if (n == NULL || ptr == NULL) return n;
	cmsUInt32Number old;
	memcpy(&old, (char *)ptr - QICC_HDR, sizeof old);
	memcpy(n, ptr, old < size ? old : size);
	qicc_free(c, ptr);
	return n;
}

static cmsPluginMemHandler qicc_mem = {
	{cmsPluginMagicNumber, 2000, cmsPluginMemHandlerSig, NULL},
	qicc_malloc, qicc_free, qicc_realloc, NULL, NULL, NULL,
};

static cmsContext qicc_context(qicc_state *s) {
	cmsContext c = cmsCreateContext(&qicc_mem, s);
	if (c != NULL) cmsSetLogErrorHandlerTHR(c, qicc_log);
	return c;
}

static cmsToneCurve *qicc_srgb_curve(cmsContext c) {
	cmsFloat64Number p[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045};
	return cmsBuildParametricToneCurve(c, 4, p);
}

// An RGB profile from chromaticities with a D65 white: sRGB's transfer function, or linear light.
static cmsHPROFILE qicc_rgb(cmsContext c, double *xy, int linear) {
	cmsCIExyY white = {0.3127, 0.3290, 1};
	cmsCIExyYTRIPLE prim = {{xy[0], xy[1], 1}, {xy[2], xy[3], 1}, {xy[4], xy[5], 1}};
	cmsToneCurve *t = linear ? cmsBuildGamma(c, 1.0) : qicc_srgb_curve(c);
	if (t == NULL) return NULL;
	cmsToneCurve *curves[3] = {t, t, t};
	cmsHPROFILE h = cmsCreateRGBProfileTHR(c, &white, &prim, curves);
	cmsFreeToneCurve(t);
	return h;
}

// Pixel layouts the transforms read and write. Grey is read from the R byte of RGBA.
static cmsUInt32Number qicc_rgba8(void) { return TYPE_RGBA_8; }
static cmsUInt32Number qicc_cmyk8(void) { return TYPE_CMYK_8; }
static cmsUInt32Number qicc_grey_in_rgba8(void) { return COLORSPACE_SH(PT_GRAY) | EXTRA_SH(3) | CHANNELS_SH(1) | BYTES_SH(1); }
static cmsUInt32Number qicc_rgb_flt(void) { return TYPE_RGB_FLT; }
*/
import "C"

import (
	"errors"
	"fmt"
	"image"
	"runtime"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/quinte-media/quinte/pipeline/photo/internal/par"
)

// ErrUnsupported is a profile that cannot be applied: lcms2 refuses it, or it describes pixels other
// than the picture's (the caller then uses the picture as it is).
var ErrUnsupported = errors.New("unusable ICC profile")

// Intent is the rendering intent of every conversion: perceptual, as libvips' icc_transform is asked
// for in the tests that compare with it (matrix/TRC profiles give the same result under relative
// colorimetric; LUT profiles such as press CMYK have their own perceptual table).
const Intent = C.INTENT_PERCEPTUAL

// Space is the kind of pixels a profile describes.
type Space string

// Spaces a Transform converts from.
const (
	RGB  Space = "RGB"
	CMYK Space = "CMYK"
	Grey Space = "GRAY"
)

// memoryLimit is what one lcms2 context may hold: the SWOP press profile's transform peaks at about
// 1.6 MB (TestMemoryOfPressProfile logs it), so this leaves room for any real profile while a
// malformed one claiming a vast table fails at once instead of taking the worker's memory.
const memoryLimit = 64 << 20

// maxProfile bounds what is handed to lcms2 (photo/meta.go holds no more than 1 MB either; a
// HEIF colr box or a test may hand over more).
const maxProfile = 4 << 20

// Transform converts one kind of picture to 8-bit sRGB.
type Transform struct {
	Desc     string // the profile's description, for the plan
	Space    Space
	identity bool
	state    *C.qicc_state
	ctx      C.cmsContext
	xf       C.cmsHTRANSFORM
}

// context starts the lcms2 context of a new transform; the caller frees it (free) on failure.
func newContext() (*C.qicc_state, C.cmsContext, error) {
	s := (*C.qicc_state)(C.calloc(1, C.size_t(unsafe.Sizeof(C.qicc_state{}))))
	if s == nil {
		return nil, nil, errors.New("lcms2: out of memory")
	}
	s.limit = memoryLimit
	ctx := C.qicc_context(s)
	if ctx == nil {
		C.free(unsafe.Pointer(s))
		return nil, nil, errors.New("lcms2: no context")
	}
	return s, ctx, nil
}

// freeContext deletes the context once its profiles and transform are closed. What lcms2 still held
// then (it should be nothing) is kept for the leak test.
func freeContext(s *C.qicc_state, ctx C.cmsContext) {
	C.cmsDeleteContext(ctx)
	leftover.Add(int64(s.used))
	C.free(unsafe.Pointer(s))
}

// leftover sums what contexts still held when deleted.
var leftover atomic.Int64

// reason is lcms2's own account of a failure, when it gave one.
func reason(s *C.qicc_state, what string) error {
	if msg := C.GoString(&s.msg[0]); msg != "" {
		return fmt.Errorf("%w: %s (lcms2: %s)", ErrUnsupported, what, msg)
	}
	return fmt.Errorf("%w: %s", ErrUnsupported, what)
}

// New prepares the conversion of pictures described by an embedded profile to sRGB. A profile lcms2
// cannot read, or of a class that does not describe a picture's pixels (device links, abstract and
// named-colour profiles), is ErrUnsupported with the reason.
func New(profile []byte) (*Transform, error) {
	if len(profile) < 132 {
		return nil, fmt.Errorf("%w: %d bytes is too short for a profile", ErrUnsupported, len(profile))
	}
	if len(profile) > maxProfile {
		return nil, fmt.Errorf("%w: %d bytes is larger than any real profile", ErrUnsupported, len(profile))
	}
	s, ctx, err := newContext()
	if err != nil {
		return nil, err
	}
	// lcms2 reads from its own copy: the Go slice is not held across calls.
	mem := C.CBytes(profile)
	defer C.free(mem)
	h := C.cmsOpenProfileFromMemTHR(ctx, mem, C.cmsUInt32Number(len(profile)))
	if h == nil {
		err := reason(s, "lcms2 cannot read the profile")
		freeContext(s, ctx)
		return nil, err
	}
	t := &Transform{Desc: description(h), state: s, ctx: ctx}
	err = t.fromProfile(h)
	// The profile is closed before its context goes: lcms2 frees it through the context.
	C.cmsCloseProfile(h)
	if err != nil {
		freeContext(s, ctx)
		return nil, err
	}
	t.identity = t.Space == RGB && t.probeIdentity()
	return t, nil
}

// fromProfile checks what kind of pixels h describes and builds the transform to sRGB.
func (t *Transform) fromProfile(h C.cmsHPROFILE) error {
	var in C.cmsUInt32Number
	switch sp := C.cmsGetColorSpace(h); sp {
	case C.cmsSigRgbData:
		t.Space, in = RGB, C.qicc_rgba8()
	case C.cmsSigCmykData:
		t.Space, in = CMYK, C.qicc_cmyk8()
	case C.cmsSigGrayData:
		t.Space, in = Grey, C.qicc_grey_in_rgba8()
	default:
		return fmt.Errorf("%w: a profile of %s pixels", ErrUnsupported, sig(uint32(sp)))
	}
	switch cl := C.cmsGetDeviceClass(h); cl {
	case C.cmsSigInputClass, C.cmsSigDisplayClass, C.cmsSigOutputClass, C.cmsSigColorSpaceClass:
	default:
		return fmt.Errorf("%w: a %q profile does not describe a picture's pixels", ErrUnsupported, sig(uint32(cl)))
	}
	return t.build(h, in, C.qicc_rgba8())
}

// build makes the transform from h to sRGB (linear sRGB for floating-point pixels).
func (t *Transform) build(h C.cmsHPROFILE, in, out C.cmsUInt32Number) error {
	var srgb C.cmsHPROFILE
	if out == C.qicc_rgb_flt() {
		// Linear light stays linear on the way out: sRGB primaries with a gamma 1 curve.
		xy := []C.double{0.64, 0.33, 0.30, 0.60, 0.15, 0.06}
		srgb = C.qicc_rgb(t.ctx, &xy[0], 1)
	} else {
		srgb = C.cmsCreate_sRGBProfileTHR(t.ctx)
	}
	if srgb == nil {
		return reason(t.state, "no sRGB profile")
	}
	t.xf = C.cmsCreateTransformTHR(t.ctx, h, in, srgb, out, Intent, C.cmsFLAGS_NOCACHE)
	C.cmsCloseProfile(srgb)
	if t.xf == nil {
		return reason(t.state, "lcms2 cannot convert from this profile to sRGB")
	}
	return nil
}

// FromPrimaries prepares the conversion of sRGB-encoded pixels in other primaries (an nclx box's
// Display P3 or BT.2020, with a D65 white) to sRGB.
func FromPrimaries(name string, rx, ry, gx, gy, bx, by float64) (*Transform, error) {
	return fromPrimaries(name, [6]float64{rx, ry, gx, gy, bx, by}, false)
}

func fromPrimaries(name string, xy [6]float64, linear bool) (*Transform, error) {
	s, ctx, err := newContext()
	if err != nil {
		return nil, err
	}
	cxy := []C.double{C.double(xy[0]), C.double(xy[1]), C.double(xy[2]), C.double(xy[3]), C.double(xy[4]), C.double(xy[5])}
	lin := C.int(0)
	if linear {
		lin = 1
	}
	h := C.qicc_rgb(ctx, &cxy[0], lin)
	if h == nil {
		err := reason(s, "no profile for the "+name+" primaries")
		freeContext(s, ctx)
		return nil, err
	}
	t := &Transform{Desc: name, Space: RGB, state: s, ctx: ctx}
	in, out := C.qicc_rgba8(), C.qicc_rgba8()
	if linear {
		in, out = C.qicc_rgb_flt(), C.qicc_rgb_flt()
	}
	err = t.build(h, in, out)
	C.cmsCloseProfile(h)
	if err != nil {
		freeContext(s, ctx)
		return nil, err
	}
	return t, nil
}

// Linear converts linear light in other primaries to linear light in sRGB's, unbounded: values above
// 1 (HDR highlights before tone mapping) and out-of-gamut negatives come out unclipped, which lcms2
// does for floating-point transforms between matrix/TRC profiles.
type Linear struct{ t *Transform }

// LinearFromPrimaries prepares a Linear conversion from the given chromaticities (D65 white).
func LinearFromPrimaries(name string, rx, ry, gx, gy, bx, by float64) (*Linear, error) {
	t, err := fromPrimaries(name, [6]float64{rx, ry, gx, gy, bx, by}, true)
	if err != nil {
		return nil, err
	}
	return &Linear{t}, nil
}

// Row converts RGB triplets in place. Safe for concurrent use on separate rows.
func (l *Linear) Row(px []float32) {
	if n := len(px) / 3; n > 0 {
		p := unsafe.Pointer(&px[0])
		C.cmsDoTransform(l.t.xf, p, p, C.cmsUInt32Number(n))
		runtime.KeepAlive(px)
	}
}

// Close frees the conversion.
func (l *Linear) Close() { l.t.Close() }

// Close frees the lcms2 transform and context. A nil Transform is fine.
func (t *Transform) Close() {
	if t == nil || t.xf == nil {
		return
	}
	C.cmsDeleteTransform(t.xf)
	t.xf = nil
	freeContext(t.state, t.ctx)
}

// Identity says whether the transform changes no 8-bit value by more than one step (the common
// "sRGB IEC61966-2.1" profile): applying it would only cost time.
func (t *Transform) Identity() bool { return t.identity }

// probeIdentity converts a 16×16×16 grid of colours and compares.
func (t *Transform) probeIdentity() bool {
	const n = 16
	px := make([]byte, 4*n*n*n)
	for i := range n * n * n {
		px[4*i], px[4*i+1], px[4*i+2], px[4*i+3] = byte(17*(i%n)), byte(17*(i/n%n)), byte(17*(i/n/n)), 255
	}
	in := append([]byte(nil), px...)
	t.rows(px, n*n*n, 1, 4*n*n*n)
	for i := range px {
		if d := int(px[i]) - int(in[i]); d > 1 || d < -1 {
			return false
		}
	}
	return true
}

// rows converts h rows of w pixels in place, stride bytes apart.
func (t *Transform) rows(pix []byte, w, h, stride int) {
	if w <= 0 || h <= 0 {
		return
	}
	p := unsafe.Pointer(&pix[0])
	C.cmsDoTransformLineStride(t.xf, p, p, C.cmsUInt32Number(w), C.cmsUInt32Number(h),
		C.cmsUInt32Number(stride), C.cmsUInt32Number(stride), 0, 0)
	runtime.KeepAlive(pix)
}

// RGB converts an RGB picture (or a grey one, through a grey profile) in place, in strips over the
// cores; alpha is left as it is.
func (t *Transform) RGB(img *image.NRGBA) error {
	if t.Space != RGB && t.Space != Grey {
		return fmt.Errorf("%w: a %s profile on an RGB picture", ErrUnsupported, t.Space)
	}
	// A grey profile's transform reads R and writes R, G and B of the same pixel: in place too, since
	// lcms2 reads each pixel before it writes it.
	w, h := img.Rect.Dx(), img.Rect.Dy()
	par.Rows(h, func(y0, y1 int) {
		t.rows(img.Pix[y0*img.Stride:], w, y1-y0, img.Stride)
	})
	return nil
}

// CMYK converts a CMYK picture (0 = no ink, as image/jpeg returns it) to opaque sRGB in place: the
// result shares img's pixels, which hold four bytes either way, so no second picture is made.
func (t *Transform) CMYK(img *image.CMYK) (*image.NRGBA, error) {
	if t.Space != CMYK {
		return nil, fmt.Errorf("%w: a %s profile on a CMYK picture", ErrUnsupported, t.Space)
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	par.Rows(h, func(y0, y1 int) {
		t.rows(img.Pix[y0*img.Stride:], w, y1-y0, img.Stride)
		for y := y0; y < y1; y++ {
			row := img.Pix[y*img.Stride : y*img.Stride+4*w]
			for i := 3; i < len(row); i += 4 {
				row[i] = 255 // lcms2 leaves the fourth byte (the K it read) alone
			}
		}
	})
	out := &image.NRGBA{Pix: img.Pix, Stride: img.Stride, Rect: img.Rect}
	img.Pix = nil // the CMYK picture is gone: keep no one from reading it as ink
	return out, nil
}

// peak is the most the transform's context has held, in bytes (for the memory test).
func (t *Transform) peak() int { return int(t.state.peak) }

// description is the profile's description, English first.
func description(h C.cmsHPROFILE) string {
	var buf [256]C.char
	lang, country := C.CString("en"), C.CString("US")
	defer C.free(unsafe.Pointer(lang))
	defer C.free(unsafe.Pointer(country))
	if C.cmsGetProfileInfoASCII(h, C.cmsInfoDescription, lang, country, &buf[0], C.cmsUInt32Number(len(buf))) == 0 {
		return ""
	}
	return strings.TrimSpace(C.GoString(&buf[0]))
}

// sig prints an ICC signature.
func sig(v uint32) string {
	b := []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return strings.TrimSpace(string(b))
}
