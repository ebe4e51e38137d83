# Turn a text file into a C header holding it as a byte array.
# cmake -DIN=file -DOUT=header -DNAME=symbol -P embed.cmake
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR size "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE ${OUT} "/* generated from ${IN}; do not edit */\n"
                  "static const unsigned char ${NAME}[] = {\n${bytes}\n0x00 };\n"
                  "static const unsigned long ${NAME}_len = ${size};\n")
