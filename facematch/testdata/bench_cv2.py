#!/usr/bin/env python3
"""Side-by-side timing: the same six ONNX models, the same inputs, in Python cv2.

A naive Python pipeline (one call after the other, as a straightforward port would
be written) on the benchmark frame of facematch/bench_test.go (the Grace Hopper
portrait scaled to 400x400 on a 640x480 grey frame), timed the way the Go
benchmarks time it: wall time per frame (median, p95) and cores = CPU time / wall.

    python3 facematch/testdata/bench_cv2.py [--threads N] [--frames 60]

--threads sets cv2.setNumThreads (default: OpenCV's own default, as shipped).
Needs python3-opencv (Debian 12: 4.6.0, the same OpenCV as gocv links) and the
models in $KIOSK_MODELS_DIR (default ~/.cache/dsi-kiosk/models).
"""
import argparse
import os
import time

import cv2
import numpy as np

REF = np.array([[38.29459953, 51.69630051], [73.53179932, 51.50139999], [56.02519989, 71.73660278],
                [41.54930115, 92.3655014], [70.72990036, 92.20410156]], dtype=np.float32)


def load(d, name):
    net = cv2.dnn.readNetFromONNX(os.path.join(d, name))
    net.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV)
    net.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    return net


def crop(img, x1, y1, x2, y2):
    h, w = img.shape[:2]
    x1, y1 = max(0, int(round(x1))), max(0, int(round(y1)))
    x2, y2 = min(w, int(round(x2))), min(h, int(round(y2)))
    return img[y1:y2, x1:x2], x1, y1


def frame():
    here = os.path.dirname(os.path.abspath(__file__))
    m = cv2.imread(os.path.join(here, "faces", "facedetect_grace_hopper.jpg"))
    f = np.full((480, 640, 3), 110, np.uint8)
    f[40:440, 120:520] = cv2.resize(m, (400, 400), interpolation=cv2.INTER_AREA)
    return f


def softmax(v):
    e = np.exp(v - v.max())
    return e / e.sum()


def pipeline(n, f, tracked_box=None):
    h, w = f.shape[:2]
    if tracked_box is None:
        blob = cv2.dnn.blobFromImage(f, 1 / 128, (320, 240), (127, 127, 127))
        n["det"].setInput(blob)
        boxes, scores = n["det"].forward(["boxes", "scores"])
        i = int(np.argmax(scores[0, :, 1]))
        x1, y1, x2, y2 = boxes[0, i] * [w, h, w, h]
        cx, cy, s = (x1 + x2) / 2, (y1 + y2) / 2, (y2 - y1)
        box = (cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2)
    else:
        box = tracked_box
    # landmarks
    c, ox, oy = crop(f, *box)
    g = cv2.cvtColor(cv2.resize(c, (64, 64)), cv2.COLOR_BGR2GRAY)
    n["lm"].setInput(cv2.dnn.blobFromImage(g, 1 / 256, (64, 64)))
    lm = n["lm"].forward("output").reshape(68, 2) * [c.shape[1], c.shape[0]] + [ox, oy]
    return box, lm


def all_models(n, f):
    box, lm = pipeline(n, f)
    x1, y1, x2, y2 = box
    dw, dh = (x2 - x1) / 4, (y2 - y1) / 4
    c, _, _ = crop(f, x1 - dw, y1 - dh, x2 + dw, y2 + dh)
    blob = cv2.dnn.blobFromImage(c, 1 / 255, (224, 224), (0.485 * 255, 0.456 * 255, 0.406 * 255), swapRB=True)
    blob /= np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)
    n["pose"].setInput(blob)
    n["pose"].forward(["output", "617", "618"])
    for a, b in ((36, 39), (42, 45)):
        ctr = lm[a:b + 1].mean(axis=0)
        s = (lm[b, 0] - lm[a, 0]) * 1.6
        e, _, _ = crop(f, ctr[0] - s / 2, ctr[1] - s / 2, ctr[0] + s / 2, ctr[1] + s / 2)
        eg = cv2.cvtColor(cv2.resize(e, (24, 24)), cv2.COLOR_BGR2GRAY)
        n["eye"].setInput(cv2.dnn.blobFromImage(eg, 1 / 255, (24, 24)))
        softmax(n["eye"].forward("output").ravel())
    cx, cy, s = (x1 + x2) / 2, (y1 + y2) / 2, (y2 - y1) * 2.7
    c, _, _ = crop(f, cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2)
    n["live"].setInput(cv2.dnn.blobFromImage(c, 1, (128, 128)))
    n["live"].forward("output")
    five = np.array([lm[36:42].mean(0), lm[42:48].mean(0), lm[30], (lm[48] + lm[60]) / 2, (lm[54] + lm[64]) / 2], np.float32)
    M, _ = cv2.estimateAffinePartial2D(five, REF)
    al = cv2.warpAffine(f, M, (112, 112))
    n["feat"].setInput(cv2.dnn.blobFromImage(al, 1 / 128, (112, 112), (127, 127, 127), swapRB=True))
    v = n["feat"].forward("output").ravel()
    return v / np.linalg.norm(v)


def timeit(fn, frames):
    fn()  # warm-up
    ds = []
    c0, w0 = time.process_time(), time.perf_counter()
    for _ in range(frames):
        t = time.perf_counter()
        fn()
        ds.append(time.perf_counter() - t)
    cores = (time.process_time() - c0) / (time.perf_counter() - w0)
    ds.sort()
    return ds[len(ds) // 2] * 1000, ds[min(len(ds) - 1, len(ds) * 95 // 100)] * 1000, cores


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--models", default=os.environ.get("KIOSK_MODELS_DIR", os.path.expanduser("~/.cache/dsi-kiosk/models")))
    a = ap.parse_args()
    if a.threads is not None:
        cv2.setNumThreads(a.threads)
    n = {k: load(a.models, v) for k, v in dict(det="fr_detect.onnx", lm="fr_landmark.onnx", pose="fr_pose.onnx", eye="fr_eye.onnx",
                                                  live="fr_liveness.onnx", feat="fr_feature.onnx").items()}
    f = frame()
    box, _ = pipeline(n, f)
    print(f"cv2 {cv2.__version__}, threads {cv2.getNumThreads()}, load {os.getloadavg()[0]:.2f}")
    for name, fn in (("every model", lambda: all_models(n, f)),
                     ("detect+landmarks", lambda: pipeline(n, f)),
                     ("tracked landmarks", lambda: pipeline(n, f, box))):
        med, p95, cores = timeit(fn, a.frames)
        print(f"{name:18s} median {med:6.2f} ms  p95 {p95:6.2f} ms  cores {cores:.2f}")


if __name__ == "__main__":
    main()
