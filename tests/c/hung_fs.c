/*
 * A FUSE file system whose open() answers only after DELAY_MS milliseconds, as a hung network
 * file system's does: the files are there (stat answers at once), but opening one holds the
 * caller in the kernel. Used by test_hung_fs.py to show that a pause or abort of an upload
 * from it returns within 200 ms.
 *
 * usage: hung_fs MOUNTPOINT DELAY_MS   (runs in the foreground until unmounted)
 *
 * The tree: /big.bin (12 MiB), /dir/a.txt, /dir/b.txt, /dir/c.txt (4 KiB each). Byte i of every
 * file is (i * 31 + 7) & 0xff. Read-only, but for /out: an empty directory in which creating a
 * file or a directory holds the caller for DELAY_MS and then fails with EIO, as writing to a
 * hung network file system does (the destination of a download).
 */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MIB (1024 * 1024)

static unsigned delay_ms;

struct entry {
    const char *path;
    off_t size; /* -1: a directory */
};

static const struct entry entries[] = {
    {"/", -1},          {"/big.bin", 12 * MIB}, {"/dir", -1},
    {"/dir/a.txt", 4096}, {"/dir/b.txt", 4096},  {"/dir/c.txt", 4096},
    {"/out", -1},
};

static const struct entry *find(const char *path) {
    size_t i;
    for (i = 0; i < sizeof entries / sizeof entries[0]; i++) {
        if (strcmp(entries[i].path, path) == 0) {
            return &entries[i];
        }
    }
    return NULL;
}

static int fs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
    const struct entry *e = find(path);
    (void)fi;
    if (e == NULL) {
        return -ENOENT;
    }
    memset(st, 0, sizeof *st);
    st->st_mtime = 1700000000;
    if (e->size < 0) {
        st->st_mode = S_IFDIR | (strcmp(path, "/out") == 0 ? 0777 : 0755);
        st->st_nlink = 2;
    } else {
        st->st_mode = S_IFREG | 0444;
        st->st_nlink = 1;
        st->st_size = e->size;
    }
    return 0;
}

static int fs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t offset, struct fuse_file_info *fi,
                      enum fuse_readdir_flags flags) {
    (void)offset;
    (void)fi;
    (void)flags;
    fill(buf, ".", NULL, 0, 0);
    fill(buf, "..", NULL, 0, 0);
    if (strcmp(path, "/") == 0) {
        fill(buf, "big.bin", NULL, 0, 0);
        fill(buf, "dir", NULL, 0, 0);
        fill(buf, "out", NULL, 0, 0);
    } else if (strcmp(path, "/dir") == 0) {
        fill(buf, "a.txt", NULL, 0, 0);
        fill(buf, "b.txt", NULL, 0, 0);
        fill(buf, "c.txt", NULL, 0, 0);
    } else if (strcmp(path, "/out") == 0) {
        /* empty */
    } else {
        return -ENOENT;
    }
    return 0;
}

static void hang(void) {
    struct timespec wait;
    wait.tv_sec = delay_ms / 1000;
    wait.tv_nsec = (long)(delay_ms % 1000) * 1000000L;
    while (nanosleep(&wait, &wait) != 0 && errno == EINTR) {
    }
}

static int fs_open(const char *path, struct fuse_file_info *fi) {
    const struct entry *e = find(path);
    if (e == NULL) {
        return -ENOENT;
    }
    if ((fi->flags & O_ACCMODE) != O_RDONLY) {
        return -EROFS;
    }
    hang();
    return 0;
}

static int under_out(const char *path) {
    return strncmp(path, "/out/", 5) == 0;
}

static int fs_create(const char *path, mode_t mode, struct fuse_file_info *fi) {
    (void)mode;
    (void)fi;
    if (!under_out(path)) {
        return -EROFS;
    }
    hang();
    return -EIO;
}

static int fs_mkdir(const char *path, mode_t mode) {
    (void)mode;
    if (!under_out(path)) {
        return -EROFS;
    }
    hang();
    return -EIO;
}

static int fs_read(const char *path, char *buf, size_t size, off_t offset, struct fuse_file_info *fi) {
    const struct entry *e = find(path);
    size_t i;
    (void)fi;
    if (e == NULL || e->size < 0) {
        return -ENOENT;
    }
    if (offset >= e->size) {
        return 0;
    }
    if ((off_t)size > e->size - offset) {
        size = (size_t)(e->size - offset);
    }
    for (i = 0; i < size; i++) {
        buf[i] = (char)(((uint64_t)(offset + (off_t)i) * 31 + 7) & 0xff);
    }
    return (int)size;
}

static const struct fuse_operations operations = {
    .getattr = fs_getattr,
    .readdir = fs_readdir,
    .open = fs_open,
    .read = fs_read,
    .create = fs_create,
    .mkdir = fs_mkdir,
};

int main(int argc, char **argv) {
    char *fuse_argv[] = {argv[0], "-f", "-o", "fsname=hung_fs,auto_unmount", NULL, NULL};
    if (argc != 3) {
        fprintf(stderr, "usage: %s MOUNTPOINT DELAY_MS\n", argv[0]);
        return 2;
    }
    delay_ms = (unsigned)strtoul(argv[2], NULL, 10);
    fuse_argv[4] = argv[1];
    return fuse_main(5, fuse_argv, &operations, NULL);
}
