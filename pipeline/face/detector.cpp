#include "detector.h"

#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>

#include <cstring>
#include <exception>
#include <vector>

namespace {
struct holder {
  dlib::frontal_face_detector det;
};
}  // namespace

extern "C" qf_detector qf_new(const char **err) {
  try {
    holder *h = new holder;
    h->det = dlib::get_frontal_face_detector();
    return h;
  } catch (const std::exception &e) {
    *err = "dlib could not create the face detector";
    return nullptr;
  }
}

extern "C" void qf_free(qf_detector d) { delete static_cast<holder *>(d); }

extern "C" int qf_detect(qf_detector d, const unsigned char *pix, int w, int h, int stride,
                         int zoom, int *boxes, double *scores, int max, const char **err) {
  try {
    holder *hd = static_cast<holder *>(d);
    dlib::array2d<unsigned char> img(h, w);
    for (int y = 0; y < h; y++) {
      std::memcpy(&img[y][0], pix + static_cast<long>(y) * stride, w);
    }
    dlib::pyramid_down<2> halve;
    if (zoom == 1) {
      dlib::pyramid_up(img);
    } else if (zoom == 2) {
      dlib::array2d<unsigned char> small;
      halve(img, small);
      dlib::swap(img, small);
    }
    std::vector<dlib::rect_detection> dets;
    hd->det(img, dets, 0.0);
    int n = static_cast<int>(dets.size());
    for (int i = 0; i < n && i < max; i++) {
      dlib::rectangle r = dets[i].rect;
      if (zoom == 1) {
        r = dlib::rectangle(r.left() / 2, r.top() / 2, r.right() / 2, r.bottom() / 2);
      } else if (zoom == 2) {
        r = dlib::rectangle(halve.rect_up(dlib::drectangle(r)));
      }
      boxes[4 * i + 0] = static_cast<int>(r.left());
      boxes[4 * i + 1] = static_cast<int>(r.top());
      boxes[4 * i + 2] = static_cast<int>(r.right());
      boxes[4 * i + 3] = static_cast<int>(r.bottom());
      scores[i] = dets[i].detection_confidence;
    }
    return n;
  } catch (const std::exception &e) {
    *err = "dlib failed while looking for faces";
    return -1;
  }
}
