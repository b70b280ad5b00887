/*
 * runstat OUT PROGRAM [ARGS...]: runs PROGRAM, waits for it with wait4 and writes
 * "exit wall_s user_s sys_s maxrss_kib" to the file OUT.
 *
 * bench/run.py starts every measured client through this small program because on Linux a
 * child's ru_maxrss includes the RSS of the process it was forked from (the high-water mark
 * of the old address space is carried across exec): forked straight from the Python harness,
 * every client would report at least the harness's own RSS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    struct timespec t0, t1;
    struct rusage ru;
    int status = 0, code;
    pid_t pid;
    FILE *out;

    if (argc < 3) {
        fprintf(stderr, "usage: runstat OUT PROGRAM [ARGS...]\n");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid = fork();
    if (pid < 0) {
        perror("runstat: fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        perror("runstat: exec");
        _exit(127);
    }
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("runstat: wait4");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    out = fopen(argv[1], "w");
    if (out == NULL) {
        perror("runstat: open OUT");
        return 2;
    }
    fprintf(out, "%d %.6f %ld.%06ld %ld.%06ld %ld\n", code,
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
            (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec,
            (long)ru.ru_stime.tv_usec, ru.ru_maxrss);
    fclose(out);
    return code;
}
