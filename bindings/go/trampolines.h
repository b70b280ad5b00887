// What the trampoline files share: every transfer input (file, stream, folder, download) has
// the same three callback fields with their user_data, only of different struct types, so one
// macro points the wanted ones at a set of trampolines.
#ifndef TOSGO_TRAMPOLINES_H
#define TOSGO_TRAMPOLINES_H

#define TOSGO_SET_LISTENERS(input, handle, progress, event, rate, progress_fn, event_fn, rate_fn) \
    do {                                                                                         \
        if (progress) {                                                                          \
            (input)->progress_cb = (progress_fn);                                                \
            (input)->progress_user_data = (void *)(handle);                                      \
        }                                                                                        \
        if (event) {                                                                             \
            (input)->event_cb = (event_fn);                                                      \
            (input)->event_user_data = (void *)(handle);                                         \
        }                                                                                        \
        if (rate) {                                                                              \
            (input)->rate_limiter_cb = (rate_fn);                                                \
            (input)->rate_limiter_user_data = (void *)(handle);                                  \
        }                                                                                        \
    } while (0)

#endif
