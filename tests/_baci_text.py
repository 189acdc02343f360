"""A small BACI file (text) for the loader tests: leading zero dropped, padded and blank quantities."""

BACI = (
    "t,i,j,k,v,q\n"
    "2021,156,842,854231,1234.567,12.5\n"
    "2021,842,156,10121,2.5,           NA\n"
    "2021,490,156,848620,100,\n"
    "2021,156,410,853224,0.001,0.002\n"
)
