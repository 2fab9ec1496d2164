// The SegMaDiff U-Net, its blocks and the MDFormer, built from diffusers config.json files.
