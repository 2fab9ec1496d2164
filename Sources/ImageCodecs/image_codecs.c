// Image decoding and encoding through libpng and libjpeg, with their longjmp errors caught here.
#include "image_codecs.h"
