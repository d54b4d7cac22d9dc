/*
 * np-threads - a test workload: touches MIB mebibytes, starts N threads that sleep, prints
 * "ready" when every thread runs, then sleeps until killed.
 * usage: np-threads N [MIB]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	long mib = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
	char *mem = NULL;

	if (argc < 2 || n < 0 || n > 1000 || mib < 0 || mib > 65536) {
		fprintf(stderr, "usage: np-threads N [MIB]\n");
		return 2;
	}
	if (mib) {
		mem = malloc((size_t)mib << 20);
		if (!mem)
			return 1;
		memset(mem, 1, (size_t)mib << 20);
	}
	for (long i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, sleeper, NULL) != 0)
			return 1;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
	free(mem);
	return 0;
}
