/*
 * fuzz-qemu.c - np_qemu_sizes(): the input is a QEMU command line's arguments separated by NUL
 * bytes, after "qemu-system-x86_64". Accepted sizes are QEMU's: at least one vCPU; nothing is
 * set for a refused line.
 */
#include "fuzz.h"

#include <errno.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct np_qemu_sizes q = {77, 77, 77, 77};
	char *buf = malloc(size + 1), **argv = calloc(size + 3, sizeof(*argv));
	size_t n = 0;
	int r;

	if (!buf || !argv)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[n++] = "qemu-system-x86_64";
	for (size_t i = 0; i < size; i += strlen(buf + i) + 1)
		argv[n++] = buf + i;
	argv[n] = NULL;
	r = np_qemu_sizes(argv, &q);
	FUZZ_CHECK(r == 1 || r == -EINVAL);
	if (r < 0) {
		FUZZ_CHECK(q.vcpus == 77 && q.memory_bytes == 77 && q.vcpus_given == 77 &&
		           q.memory_given == 77);
	} else {
		FUZZ_CHECK(q.vcpus >= 1 && q.memory_bytes > 0);
		FUZZ_CHECK(q.vcpus_given == 0 || q.vcpus_given == 1);
		FUZZ_CHECK(q.memory_given == 0 || q.memory_given == 1);
	}
	free(argv);
	free(buf);
	return 0;
}
