// cv::setNumThreads has no gocv 0.32 binding; these two calls are all facematch needs.
#include <opencv2/core.hpp>
#include "threads.h"

void facematch_set_num_threads(int n) { cv::setNumThreads(n); }
int facematch_get_num_threads(void) { return cv::getNumThreads(); }
