// kiln makes every model generic over its scalar type itself.
kiln::model! {
    struct Net<T> { Input(4), Dense(1) }
}

fn main() {}
