/*
 * fuzz-xml.c - np_host_load() from an hwloc XML export. The first byte's low two bits are the
 * flags (NP_HOST_WHOLE_SYSTEM, NP_HOST_MEMFREE_ONLY: '0'..'3'); the rest is the file, written
 * to a memfd that hwloc opens by its /proc/self/fd path.
 */
#include "fuzz.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	struct np_source src = {NP_SOURCE_XML, path, 0};
	np_host *h = NULL;
	int r;

	if (size < 1)
		return 0;
	if (fd < 0) {
		fd = memfd_create("numaplace-fuzz.xml", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	src.flags = data[0] & 3;
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data + 1, size - 1, 0) != (ssize_t)(size - 1))
		abort();
	r = np_host_load(&src, &h);
	FUZZ_CHECK(r == 0 || r == -EBADMSG || r == -ENODEV || r == -E2BIG || r == -ENOMEM);
	if (r == 0)
		fuzz_check_host(h);
	else
		FUZZ_CHECK(h == NULL && *np_last_error() != '\0');
	np_host_free(h);
	return 0;
}
