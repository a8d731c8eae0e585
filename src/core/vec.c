/* Names of logical column types. */
#include "core/vec.h"

const char *fr_coltype_name(fr_coltype t)
{
	switch (t) {
#define X(name, text) case name: return text;
	FR_COLTYPES(X)
#undef X
	}
	return "UNSUPPORTED";
}
