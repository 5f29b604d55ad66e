#ifdef __cplusplus
extern "C" {
#endif
void facematch_set_num_threads(int n);
int facematch_get_num_threads(void);
#ifdef __cplusplus
}
#endif
