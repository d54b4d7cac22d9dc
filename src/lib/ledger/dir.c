/*
 * dir.c - where the ledger lives: the state directory and the database files in it.
 *
 * A ledger decides where other workloads go, so whoever can write it can steer them. The
 * directory and the files must be the user's own, writable by nobody else, and not symlinks
 * (docs/ledger.md, "Where it lives").
 */
#include "ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The state directory and the database files must be the user's own: another user who can
 * write them could plant claims, or a symlink could send the writes elsewhere.
 */
static int check_owner(const struct stat *st, const char *what, const char *path)
{
	uid_t uid = geteuid();

	if (st->st_uid != uid) {
		np__set_error("%s '%s' is owned by uid %u, not by uid %u", what, path,
		              (unsigned)st->st_uid, (unsigned)uid);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		np__set_error("%s '%s' is writable by group or others (mode %04o)", what, path,
		              (unsigned)(st->st_mode & 07777));
		return -EACCES;
	}
	return 0;
}

/*
 * An entry of the state (the directory, a database file) as lstat() saw it: not a symlink, of
 * the type wanted (S_IFDIR or S_IFREG), and the user's own.
 */
static int check_entry(const struct stat *st, const char *what, const char *path, mode_t type)
{
	if (S_ISLNK(st->st_mode)) {
		np__set_error("%s '%s' is a symlink", what, path);
		return -ELOOP;
	}
	if ((st->st_mode & S_IFMT) != type) {
		np__set_error("%s '%s' is not a %s", what, path,
		              type == S_IFDIR ? "directory" : "regular file");
		return type == S_IFDIR ? -ENOTDIR : -EINVAL;
	}
	return check_owner(st, what, path);
}

int np__ledger_dir_open(const char *dir, bool create)
{
	struct stat st, fst;
	int fd = -1, r;

	r = lstat(dir, &st);
	if (r < 0 && errno == ENOENT && create) {
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			r = -errno;
			np__set_error("cannot create state directory '%s': %s", dir,
			              strerror(errno));
			return r;
		}
		r = lstat(dir, &st);
	}
	if (r < 0) {
		r = -errno;
		np__set_error("cannot access state directory '%s': %s", dir, strerror(errno));
		return r;
	}
	r = check_entry(&st, "state directory", dir, S_IFDIR);
	if (r < 0)
		return r;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		np__set_error("cannot open state directory '%s': %s", dir, strerror(errno));
		return r == -ENOTDIR ? -ELOOP : r;
	}
	/* the directory checked is the one opened (not swapped for a symlink in between) */
	if (fstat(fd, &fst) < 0 || fst.st_dev != st.st_dev || fst.st_ino != st.st_ino) {
		np__set_error("state directory '%s' changed while being opened", dir);
		close(fd);
		return -ELOOP;
	}
	if (faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) < 0) {
		r = -errno;
		np__set_error("state directory '%s' is not writable: %s", dir, strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

int np__ledger_files_check(int dirfd, const char *dir, bool create)
{
	static const char *const names[] = {NP__LEDGER_DB, NP__LEDGER_DB "-wal",
	                                    NP__LEDGER_DB "-shm"};
	char path[PATH_MAX];
	struct stat st;
	int fd, r;

	if (!create && fstatat(dirfd, NP__LEDGER_DB, &st, AT_SYMLINK_NOFOLLOW) < 0 &&
	    errno == ENOENT) {
		np__set_error("no ledger database in '%s'", dir);
		return -ENOENT;
	}
	if (create) {
		/* created here so that its mode (which SQLite gives the WAL files too) is 0600 */
		fd = openat(dirfd, NP__LEDGER_DB,
		            O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		else if (errno != EEXIST) {
			r = -errno;
			np__set_error("cannot create '%s/%s': %s", dir, NP__LEDGER_DB,
			              strerror(errno));
			return r;
		}
	}
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			r = -errno;
			np__set_error("cannot access '%s': %s", path, strerror(errno));
			return r;
		}
		r = check_entry(&st, "ledger file", path, S_IFREG);
		if (r < 0)
			return r;
	}
	return 0;
}
