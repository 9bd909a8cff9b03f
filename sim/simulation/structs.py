"""The world and the state as the numba kernels take them: one reference each, not a tuple of ~50 arrays.

A NamedTuple argument reaches compiled code by value: numba spreads its ~50 arrays into every
call and every inlined copy, and LLVM then spends most of the week kernel's compile time taking
those copies apart (its scalar replacement of aggregates: a first run compiled for 44 s, 37 s
of it the week kernel).  A numba ``structref`` is a pointer to the same fields, so each submodel
compiles on its own in about a second and a call from Python unboxes one object per struct.

:func:`as_struct` makes one from a :class:`~sim.simulation.world.World` or
:class:`~sim.simulation.state.State` (any NamedTuple). It holds the tuple's arrays themselves,
not copies: a change made in place to an array is what the kernels see, and a tuple whose
arrays are replaced (:func:`sim.simulation.state.grow`) needs a new struct.  The parameters
stay a tuple: their scalars, read in the innermost loops, are then constants of the call
rather than loads LLVM must repeat after every store.

"Struct" here is numba's data type; organisation structures are declared in
:mod:`sim.simulation.structures` and varied through :mod:`sim.experiments.structural`.
"""

from __future__ import annotations

from numba import njit, types
from numba.core.extending import intrinsic
from numba.experimental import structref
from numba.experimental.jitclass.base import imp_dtor


@structref.register
class StructType(types.StructRef):
    """The numba type of a :class:`Struct`: the field names and types of the tuple it was made from."""

    def preprocess_fields(self, fields):
        return tuple((name, types.unliteral(kind)) for name, kind in fields)


class Struct(structref.StructRefProxy):
    """A compiled struct made by :func:`as_struct`, passed to the kernels as it is."""


structref.define_boxing(StructType, Struct)


@intrinsic
def _struct_of(typingctx, values):
    """A new struct holding each field of the tuple ``values`` (a reference to each array)."""
    fields = list(zip(values.fields, values, strict=True))
    struct_type = StructType(fields)

    def codegen(context, builder, signature, args):
        payload = context.data_model_manager[struct_type.get_data_type()].get_value_type()
        meminfo = context.nrt.meminfo_alloc_dtor(builder, context.get_constant(types.uintp,
                                                                                context.get_abi_sizeof(payload)),
                                                 imp_dtor(context, builder.module, struct_type))
        struct = context.make_helper(builder, struct_type)
        struct.meminfo = meminfo
        data = structref._Utils(context, builder, struct_type).get_data_struct(struct._getvalue())
        for k, (name, kind) in enumerate(fields):
            value = builder.extract_value(args[0], k)
            context.nrt.incref(builder, kind, value)  # the struct owns a reference; its destructor drops it
            setattr(data, name, value)
        return struct._getvalue()

    return struct_type(values), codegen


@njit(cache=True)
def as_struct(values):
    """The struct of a NamedTuple's fields, for the kernels (compiled once per tuple type)."""
    return _struct_of(values)
