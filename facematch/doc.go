// Package facematch is everything between a camera frame and the decision "this live
// person is the card holder": model loading and validation, image validation,
// detection, 68-point landmarks, 5-point similarity alignment, 512-d embeddings and
// cosine matching, the quality gate, the active liveness challenge (with the passive
// model as a further signal) and the kiosk.FaceVerifier adapter.
//
// It is the only package that imports gocv. OpenCV's C++ exceptions are not all caught
// by gocv, so nothing reaches OpenCV unchecked: model files are verified against their
// pinned SHA-256 before they are parsed, every blob handed to a network has the shape
// the network was checked to accept, and every encoded image is sniffed and its
// dimensions read from its header before it is decoded.
//
// Pre- and post-processing follow the reference JavaScript package the models ship in
// (npm faceplugin-face-recognition-js@0.0.1, lib/fr_*.js); where this code departs
// from it the comment at that place says why.
package facematch
