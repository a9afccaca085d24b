/* What the AppImage runtime needs from squashfuse's private FUSE helpers, which Debian's libsquashfuse-dev
 * (0.1.105) builds into libsquashfuse_ll.a but does not install as a header. Layout and signatures as that
 * library's objects use them (sqfs_opt_proc writes progname, image and mountpoint at offsets 0, 8 and 16;
 * sqfs_usage takes two arguments there, three in the squashfuse 0.5 the runtime is written for). */
#ifndef VISIONDESK_SQFS_FUSEPRIVATE_H
#define VISIONDESK_SQFS_FUSEPRIVATE_H

#include <stdbool.h>
#include <sys/statvfs.h>
#include <squashfuse/squashfuse.h>
#include <fuse3/fuse.h>
#include <fuse3/fuse_lowlevel.h>

int sqfs_listxattr(sqfs *fs, sqfs_inode *inode, char *buf, size_t *size);
void sqfs_usage(char *progname, bool fuse_usage);
#define sqfs_usage(progname, fuse_usage, ll_usage) sqfs_usage((progname), (fuse_usage))

typedef struct {
	char *progname;
	const char *image;
	int mountpoint;
	size_t offset;
	unsigned int idle_timeout_secs;
} sqfs_opts;
int sqfs_opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs);
int sqfs_statfs(sqfs *sq, struct statvfs *st);

#endif
