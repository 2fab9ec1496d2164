// cairo (Debian libcairo2-dev): 2-D vector graphics for the evaluation figures (PNG and PDF).
#include <cairo/cairo.h>
#include <cairo/cairo-pdf.h>
