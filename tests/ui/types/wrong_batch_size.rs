// A batch's feature count is part of its type.
use kiln::SMatrix;

kiln::model! {
    struct Net { Input(4), Dense(2) }
}

fn main() {
    let net = Net::new(0);
    let mut ws = net.workspace(8);
    let batch = SMatrix::<f32, 5, 8>::zeros();
    let _ = net.forward_batch(&mut ws, &batch);
}
