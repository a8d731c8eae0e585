/* Plain replay driver for fuzz_query under any compiler: feeds every file of the seed corpus
 * (default $FR_TOP_SRCDIR/tests/fuzz/corpus_query, or the paths given) to the target, whole
 * and cut at a few lengths, so `make check` exercises the target without libFuzzer. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		perror(path);
		return 1;
	}
	static uint8_t buf[1 << 20];
	size_t len = fread(buf, 1, sizeof buf, fp);
	fclose(fp);
	/* exact-size copies so reads past the end are caught by ASan */
	size_t cuts[4] = { len, len / 2, len ? len - 1 : 0, len / 3 };
	for (int i = 0; i < 4; i++) {
		uint8_t *exact = malloc(cuts[i] ? cuts[i] : 1);
		if (!exact)
			return 1;
		memcpy(exact, buf, cuts[i]);
		LLVMFuzzerTestOneInput(exact, cuts[i]);
		free(exact);
	}
	return 0;
}

static int run_path(const char *path, int *count)
{
	struct stat st;
	if (stat(path, &st)) {
		perror(path);
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	DIR *d = opendir(path);
	if (!d) {
		perror(path);
		return 1;
	}
	int rc = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md"))
			continue;
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		rc |= run_path(p, count);
	}
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0, count = 0;
	if (argc < 2) {
		const char *top = getenv("FR_TOP_SRCDIR");
		char p[4096];
		snprintf(p, sizeof p, "%s/tests/fuzz/corpus_query", top ? top : ".");
		rc = run_path(p, &count);
	}
	for (int i = 1; i < argc; i++)
		rc |= run_path(argv[i], &count);
	printf("replayed %d inputs\n", count);
	return rc || count == 0;
}
