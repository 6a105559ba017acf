/*
 * measure: run a command and write its resource usage, like a minimal GNU time.
 *
 *   measure OUT_FILE COMMAND [ARG...]
 *
 * Writes one line to OUT_FILE when COMMAND ends:
 *
 *   status=S user_us=U sys_us=Y maxrss_kib=M
 *
 * where S is the exit code, or 128 + the signal number if COMMAND was killed. Exits with S.
 *
 * Why not wait4() from the Python harness directly: Linux keeps a process's peak RSS across exec
 * (fs/exec.c records the old mm's high-water mark in signal->maxrss), so a child forked from a
 * 20 MiB Python process reports at least 20 MiB however small it is. Forked from this program,
 * the floor is this program's own RSS, about 1 MiB.
 *
 * SIGINT and SIGTERM are ignored here (the harness sends them to the whole process group to stop a
 * run) and restored to their defaults in the child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: measure OUT_FILE COMMAND [ARG...]\n");
        return 2;
    }
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    pid_t pid = fork();
    if (pid < 0) {
        perror("measure: fork");
        return 2;
    }
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        execvp(argv[2], argv + 2);
        fprintf(stderr, "measure: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("measure: wait4");
            return 2;
        }
    }
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *f = fopen(argv[1], "w");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    fprintf(f, "status=%d user_us=%lld sys_us=%lld maxrss_kib=%ld\n", code,
            (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
            (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec, ru.ru_maxrss);
    fclose(f);
    return code;
}
