// A C view of dlib's HOG frontal-face detector, so that Go can call it through cgo.
#ifndef QUINTE_FACE_DETECTOR_H
#define QUINTE_FACE_DETECTOR_H
#ifdef __cplusplus
extern "C" {
#endif

typedef void *qf_detector;

// qf_new returns a detector, or NULL (with *err set to a static message) when dlib throws.
qf_detector qf_new(const char **err);
void qf_free(qf_detector d);

// qf_detect finds faces in an 8-bit grey picture (rows of stride bytes). With zoom 1 the picture is
// doubled first so that faces down to ~40 px are found (about 4x the time); with zoom 2 it is halved
// first (faces of ~160 px and more, at about a quarter of the time); 0 searches it as it is. It writes up to max boxes as
// left, top, right, bottom (inclusive, in the given picture's pixels) into boxes and their detection
// scores into scores, and returns how many faces it found (which may exceed max), or -1 on error.
int qf_detect(qf_detector d, const unsigned char *pix, int w, int h, int stride, int zoom,
              int *boxes, double *scores, int max, const char **err);

#ifdef __cplusplus
}
#endif
#endif
