package icc

import (
	"testing"

	"github.com/quinte-media/quinte/pipeline/photo/icc/icctest"
)

// FuzzProfile hands arbitrary bytes to lcms2 as an embedded profile and converts a small picture of
// the kind the profile describes: refused or converted, never a panic. Seeds: the crafted malformed
// profiles (testdata/fuzz/FuzzProfile, one per crash class of issue 9, plus what fuzzing found) and,
// the profiles of its photos (sRGB, Display P3, SWOP CMYK).
func FuzzProfile(f *testing.F) {
	f.Add(icctest.Good())
	for _, c := range icctest.Malformed() {
		f.Add(c.Profile)
	}
	f.Add(jpegProfile(f, corpusFile(f, "image/pixel8_ultrahdr_gainmap_gps.jpg")))
	f.Add(jpegProfile(f, corpusFile(f, "image/cmyk_adobe_swop_profile.jpg")))
	f.Add(heicProfile(f, corpusFile(f, "image/iphone13promax_irot270_exif6_gainmap.heic")))
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, err := New(b)
		if err != nil {
			return
		}
		defer tr.Close()
		convert(t, tr)
	})
}
