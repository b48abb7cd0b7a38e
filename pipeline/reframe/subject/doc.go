// Package subject finds where the artist is: it decodes a video once more, small and a few frames a
// second (ffmpeg, with shot cuts from scdet in the same decode), searches each frame for faces (a
// FaceFinder: package face's detector pool) and, where there is none, for the most salient region,
// and gives package reframe's subject track of it (reframe.NewTrack). A photo is analysed as one
// frame (PhotoTrack).
//
// It owns running that analysis: the ffmpeg process and its watchdog, reading its frames, the face
// searches. Its command line comes from package ffcmd; what a track means for the crops is reframe's.
package subject
